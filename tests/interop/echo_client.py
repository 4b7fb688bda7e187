"""The kernel's side of the echo interop tests: N random bytes to taptcp's echo on 192.0.2.2:7
(inside the test's namespace; PORT if given), half-close, read to EOF, compare by SHA-256. Exit 0
when equal.

Usage: python3 echo_client.py N [PORT]
"""
import hashlib, os, socket, sys, threading, time
n = int(sys.argv[1])
port = int(sys.argv[2]) if len(sys.argv) > 2 else 7
data = os.urandom(n)
deadline = time.time() + 10
while True:  # taptcp may still be starting: retry, bounded
    try:
        s = socket.create_connection(("192.0.2.2", port), timeout=5)
        break
    except OSError:
        if time.time() > deadline: raise
        time.sleep(0.1)
s.settimeout(60)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send); t.start()
got = bytearray()
while True:
    b = s.recv(1 << 16)
    if not b: break
    got += b
t.join()
ok = hashlib.sha256(got).hexdigest() == hashlib.sha256(data).hexdigest()
print(f"sent {n} received {len(got)} sha256 {'equal' if ok else 'DIFFERENT'}")
sys.exit(0 if ok and len(got) == n else 1)
