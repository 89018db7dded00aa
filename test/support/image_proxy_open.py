# Asks the real containers/image, through skopeo's experimental-image-proxy (what ostree-ext, and so
# rpm-ostree, uses), to open an image under a given policy: prints {"ok": true} or {"ok": false, "error": ...}.
# usage: python3 image_proxy_open.py SKOPEO POLICY REGISTRIES_D docker://HOST/REPO:TAG
import json
import socket
import subprocess
import sys


def call(sock, method, args):
    sock.sendmsg([json.dumps({'method': method, 'args': args}).encode()])
    data, _fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, 4)
    reply = json.loads(data)
    for fd in _fds:
        socket.socket(fileno=fd).close()
    return reply


def main():
    skopeo, policy, registries_d, image = sys.argv[1:5]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    child = subprocess.Popen(
        [skopeo, '--policy', policy, '--registries.d', registries_d, 'experimental-image-proxy', '--sockfd', str(theirs.fileno()), '--tls-verify=false'],
        pass_fds=[theirs.fileno()], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    theirs.close()
    ours.settimeout(60)
    try:
        init = call(ours, 'Initialize', [])
        if not init.get('success'):
            print(json.dumps({'ok': False, 'error': init.get('error', 'Initialize failed')}))
            return
        opened = call(ours, 'OpenImage', [image])
        print(json.dumps({'ok': bool(opened.get('success')), 'error': opened.get('error', '')}))
    finally:
        ours.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()


main()
