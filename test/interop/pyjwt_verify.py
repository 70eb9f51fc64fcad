"""Verifies a Tessera access token with PyJWT, configured with nothing but the issuer: the keys come
through the discovery document. Prints the claims as JSON, or `refused: <reason>` and exits 1.
Usage: python3 pyjwt_verify.py ISSUER AUDIENCE TOKEN"""
import json
import sys
import urllib.request

import jwt

issuer, audience, token = sys.argv[1:4]
with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=5) as response:
    discovery = json.load(response)
algorithms = discovery["id_token_signing_alg_values_supported"]
key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
try:
    claims = jwt.decode(token, key.key, algorithms=algorithms, audience=audience, issuer=discovery["issuer"])
except jwt.InvalidTokenError as error:
    print(f"refused: {type(error).__name__}")
    sys.exit(1)
print(json.dumps(claims))
