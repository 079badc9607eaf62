"""The far end of `npm run bench:curl` (bench/curl-check.ts): an HTTP/1.1 server on 127.0.0.1 that
answers every request with one sparse file of SIZE bytes sent by sendfile(2), so it costs next to no
CPU of its own, as a real file server's does. Usage: sendfile-server.py FILE SIZE [HOST]; HOST is
127.0.0.1 unless given (bench/packet-check.ts serves on every address of its own namespace); prints
its port."""
import socket
import sys
import threading

path, size = sys.argv[1], int(sys.argv[2])
host = sys.argv[3] if len(sys.argv) > 3 else '127.0.0.1'
with open(path, 'wb') as f:
    f.truncate(size)
server = socket.create_server((host, 0))
print(f'listening on {server.getsockname()[1]}', flush=True)


def serve(conn):
    with conn:
        try:
            conn.recv(65536)
            conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % size)
            with open(path, 'rb') as f:
                conn.sendfile(f)
        except OSError:
            pass


while True:
    client, _ = server.accept()
    threading.Thread(target=serve, args=(client,), daemon=True).start()
