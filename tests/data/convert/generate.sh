#!/usr/bin/env bash
# Regenerates the test-only key material for tests/convert.rs and tests/cli_convert.rs.
# Needs OpenSSL 3. The keys are throwaway test keys: never use them for anything else.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/root.key" -out "$tmp/root.crt" \
  -days 7300 -subj "/O=entra-token tests/CN=Convert Test Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -newkey rsa:2048 -nodes -keyout "$tmp/int.key" -out "$tmp/int.csr" \
  -subj "/O=entra-token tests/CN=Convert Test Intermediate CA"
openssl x509 -req -in "$tmp/int.csr" -CA "$tmp/root.crt" -CAkey "$tmp/root.key" -CAcreateserial \
  -days 7300 -out "$tmp/int.crt" \
  -extfile <(printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n')
openssl req -newkey rsa:2048 -nodes -keyout "$tmp/leaf.key" -out "$tmp/leaf.csr" \
  -subj "/O=entra-token tests/CN=convert-test-app"
openssl x509 -req -in "$tmp/leaf.csr" -CA "$tmp/int.crt" -CAkey "$tmp/int.key" -CAcreateserial \
  -days 7300 -out "$tmp/leaf.crt" \
  -extfile <(printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n')

# Leaf alone with its key (key first, as some exports write it), and leaf + chain + key.
openssl pkcs8 -topk8 -nocrypt -in "$tmp/leaf.key" -out "$tmp/leaf.pk8"
cat "$tmp/leaf.pk8" "$tmp/leaf.crt" > single.pem
cat "$tmp/leaf.crt" "$tmp/int.crt" "$tmp/root.crt" "$tmp/leaf.pk8" > chain.pem
# The same leaf and chain as an OpenSSL 3 default PFX (PBES2/AES-256, 2048 iterations).
openssl pkcs12 -export -in "$tmp/leaf.crt" -inkey "$tmp/leaf.key" \
  -certfile <(cat "$tmp/int.crt" "$tmp/root.crt") -name convert-test-app \
  -passout pass:convert-test -out chain.pfx
