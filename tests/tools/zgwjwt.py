#!/usr/bin/python3
"""zgwjwt CLIENT_ID SECRET [IAT_OFFSET] [ALG]: a ZGW client's JWT, as Open
Zaak's clients send it (HS256, client_id, iat), made with python3-jwt;
IAT_OFFSET seconds are added to iat (to make an old one), ALG "none" makes
an unsigned one."""
import sys
import time

import jwt


def main():
    client, secret = sys.argv[1], sys.argv[2]
    offset = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    alg = sys.argv[4] if len(sys.argv) > 4 else "HS256"
    claims = {"iss": client, "client_id": client,
              "iat": int(time.time()) + offset,
              "user_id": "test", "user_representation": "test"}
    if alg == "none":
        print(jwt.encode(claims, None, algorithm="none"))
    else:
        print(jwt.encode(claims, secret, algorithm=alg))


if __name__ == "__main__":
    main()
