# A client of skopeo's experimental-image-proxy, the way ostree-ext opens container images: a
# SOCK_SEQPACKET socketpair, JSON requests and replies, data over pipes passed with SCM_RIGHTS.

import json
import os
import select
import socket
import subprocess
import time

# The protocol versions this client speaks (0.2.x; GetFullConfig arrived in 0.2.3).
PROTOCOL_MAJOR_MINOR = (0, 2)
MIN_PATCH = 3
MAX_REPLY_BYTES = 1024 * 1024
REPLY_TIMEOUT_SECONDS = 60
EXIT_TIMEOUT_SECONDS = 5
# rpm-ostree records the manifest of its own architecture; the world's host is an x86_64 machine.
HOST_OS = 'linux'
HOST_ARCH = 'amd64'


class ProxyError(Exception):
    """A failed proxy call; the message is the proxy's own error text (what ostree-ext reports)."""


class ImageProxy:
    """One `skopeo experimental-image-proxy` process, as ostree-ext starts one per import."""

    def __init__(self, skopeo, policy=None, registries_d=None, registries_conf=None, tls_verify=False):
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        args = [skopeo]
        if policy:
            args += ['--policy', policy]
        if registries_d:
            args += ['--registries.d', registries_d]
        if registries_conf:
            args += ['--registries-conf', registries_conf]
        args += ['--override-os', HOST_OS, '--override-arch', HOST_ARCH,
                 'experimental-image-proxy', '--sockfd', str(child.fileno())]
        if not tls_verify:
            args.append('--tls-verify=false')
        try:
            # stderr is the daemon's log, so the proxy's own warnings land beside the stand-in's.
            self.process = subprocess.Popen(args, pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, close_fds=True)
        except OSError as error:
            parent.close()
            raise ProxyError(f'failed to start {skopeo}: {error.strerror}') from None
        finally:
            child.close()
        self.sock = parent
        self.sock.settimeout(REPLY_TIMEOUT_SECONDS)
        try:
            version = self.call('Initialize')[0]
        except ProxyError:
            self.close()
            raise
        parts = str(version).split('.')
        if tuple(int(p) for p in parts[:2]) != PROTOCOL_MAJOR_MINOR or int(parts[2]) < MIN_PATCH:
            self.close()
            raise ProxyError(f'unsupported image proxy protocol version {version}')

    def call(self, method, *args):
        """Sends one request; returns (value, pipe fd or None, pipe id)."""
        try:
            self.sock.send(json.dumps({'method': method, 'args': list(args)}).encode())
            data, fds, flags, _ = socket.recv_fds(self.sock, MAX_REPLY_BYTES, 1)
        except socket.timeout:
            raise ProxyError(f'{method}: the image proxy did not answer within {REPLY_TIMEOUT_SECONDS} s') from None
        except OSError as error:
            raise ProxyError(f'{method}: the image proxy went away ({error.strerror or error})') from None
        if not data:
            raise ProxyError(f'{method}: the image proxy exited ({self._exit_status()})')
        if flags & socket.MSG_TRUNC:
            for fd in fds:
                os.close(fd)
            raise ProxyError(f'{method}: the reply is larger than {MAX_REPLY_BYTES} bytes')
        try:
            reply = json.loads(data)
        except ValueError:
            for fd in fds:
                os.close(fd)
            raise ProxyError(f'{method}: the image proxy sent a reply that is not JSON') from None
        if not reply.get('success'):
            for fd in fds:
                os.close(fd)
            raise ProxyError(reply.get('error') or f'{method} failed')
        return reply.get('value'), (fds[0] if fds else None), reply.get('pipeid', 0)

    def call_with_data(self, limit, method, *args, sink=None):
        """A streaming method: reads its pipe to the end while FinishPipe waits for the writer.

        Returns (value, bytes) or, with `sink(chunk)`, (value, number of bytes). The proxy closes the
        pipe only once FinishPipe is called, and reports a failed write (a digest mismatch) there.
        """
        value, fd, pipeid = self.call(method, *args)
        if fd is None:
            raise ProxyError(f'{method}: the image proxy sent no data pipe')
        chunks = []
        total = 0
        try:
            self.sock.send(json.dumps({'method': 'FinishPipe', 'args': [pipeid]}).encode())
            deadline = time.monotonic() + REPLY_TIMEOUT_SECONDS
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                    raise ProxyError(f'{method}: no data from the image proxy within {REPLY_TIMEOUT_SECONDS} s')
                chunk = os.read(fd, 256 * 1024)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise ProxyError(f'{method}: more than {limit} bytes')
                if sink:
                    sink(chunk)
                else:
                    chunks.append(chunk)
        finally:
            os.close(fd)
        try:
            data, fds, _, _ = socket.recv_fds(self.sock, MAX_REPLY_BYTES, 1)
        except socket.timeout:
            raise ProxyError(f'FinishPipe: the image proxy did not answer within {REPLY_TIMEOUT_SECONDS} s') from None
        for extra in fds:
            os.close(extra)
        if not data:
            raise ProxyError(f'FinishPipe: the image proxy exited ({self._exit_status()})')
        try:
            reply = json.loads(data)
        except ValueError:
            raise ProxyError('FinishPipe: the image proxy sent a reply that is not JSON') from None
        if not reply.get('success'):
            raise ProxyError(reply.get('error') or 'FinishPipe failed')
        return value, (total if sink else b''.join(chunks))

    def _exit_status(self):
        try:
            code = self.process.wait(timeout=EXIT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            return 'still running'
        return f'exit status {code}'

    def close(self):
        """Closing our end is the proxy's EOF: it closes its images and exits."""
        try:
            self.sock.close()
        finally:
            try:
                self.process.wait(timeout=EXIT_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()
