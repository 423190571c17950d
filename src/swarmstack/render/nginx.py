"""nginx in front of the managers: TLS 1.2/1.3, least_conn, keepalive, rate limiting, and the
seed's proxy headers and timeouts. X-Forwarded-For is set to the address nginx saw, never
extended from what the client sent, so the managers' per-source limits (which trust nginx)
cannot be steered by a client."""

from __future__ import annotations

from swarmstack.render.common import PORT


def nginx_conf(upstreams: list[str], server_name: str) -> str:
    servers = "\n".join(
        f"        server {u}:{PORT} max_fails=3 fail_timeout=10s;" for u in upstreams
    )
    return f"""worker_processes auto;
pid /tmp/nginx.pid;
events {{
    worker_connections 4096;
}}
http {{
    client_body_temp_path /tmp/client_body;
    proxy_temp_path /tmp/proxy;
    fastcgi_temp_path /tmp/fastcgi;
    uwsgi_temp_path /tmp/uwsgi;
    scgi_temp_path /tmp/scgi;
    access_log /dev/stdout;
    error_log /dev/stderr warn;
    server_tokens off;
    client_max_body_size 1m;
    limit_req_zone $binary_remote_addr zone=api:10m rate=50r/s;

    upstream swarmstack_managers {{
        least_conn;
{servers}
        keepalive 64;
    }}

    server {{
        listen 80;
        server_name {server_name};
        return 301 https://$host$request_uri;
    }}

    server {{
        listen 443 ssl http2;
        server_name {server_name};
        ssl_certificate /etc/nginx/tls/tls.crt;
        ssl_certificate_key /etc/nginx/tls/tls.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_prefer_server_ciphers off;
        ssl_session_cache shared:SSL:10m;
        ssl_session_timeout 1h;
        add_header Strict-Transport-Security "max-age=31536000" always;

        location / {{
            limit_req zone=api burst=100 nodelay;
            limit_req_status 429;
            proxy_pass http://swarmstack_managers;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 30s;
            proxy_send_timeout 30s;
            proxy_read_timeout 300s;
            proxy_buffering off;
        }}
    }}
}}
"""
