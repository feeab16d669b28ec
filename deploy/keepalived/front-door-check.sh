#!/bin/bash
# keepalived's health script: HAProxy of this container answers its monitor URI (port 8404) 200.
exec 3<>/dev/tcp/127.0.0.1/8404 && printf 'GET /healthz HTTP/1.0\r\n\r\n' >&3 && head -n1 <&3 | grep -q ' 200'
