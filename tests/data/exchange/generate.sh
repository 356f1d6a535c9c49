#!/bin/sh
# Regenerates the test-only key material used by tests/exchange*.rs and benches/assertion.rs.
# Nothing here is secret: these keys exist only to sign test assertions against loopback servers.
set -eu
cd "$(dirname "$0")"
days=36500

# app.pem: the "registered" certificate, RSA 2048, key (PKCS#8) + self-signed certificate.
openssl req -x509 -newkey rsa:2048 -nodes -keyout app.key -out app.crt -days $days \
  -subj "/CN=entra-token test app" -sha256 2>/dev/null
cat app.key app.crt > app.pem

# other.pem: a second RSA 2048 certificate that is never registered (AADSTS700027 tests).
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days $days \
  -subj "/CN=entra-token other app" -sha256 2>/dev/null
cat other.key other.crt > other.pem

# rsa4096.pem: RSA 4096 for the signing benchmark.
openssl req -x509 -newkey rsa:4096 -nodes -keyout rsa4096.key -out rsa4096.crt -days $days \
  -subj "/CN=entra-token test 4096" -sha256 2>/dev/null
cat rsa4096.key rsa4096.crt > rsa4096.pem

# chain.pem: a leaf issued by a test CA, with the CA certificate after it (x5c / SNI tests).
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days $days \
  -subj "/CN=entra-token test CA" -sha256 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr \
  -subj "/CN=entra-token chained app" 2>/dev/null
openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out leaf.crt \
  -days $days -sha256 2>/dev/null
cat leaf.key leaf.crt ca.crt > chain.pem

rm -f app.key app.crt other.key other.crt rsa4096.key rsa4096.crt ca.key ca.srl leaf.key leaf.csr
# Kept: ca.crt and leaf.crt (DER-comparable halves of chain.pem).
