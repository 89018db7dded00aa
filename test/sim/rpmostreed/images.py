# Container image pulls for the rpm-ostreed stand-in, through the real containers/image: skopeo's
# image proxy opens the image (applying policy.json and registries.d), resolves it, streams its layers.

import hashlib
import json
import os
import re
import tempfile

from image_proxy import HOST_ARCH, ImageProxy, ProxyError

MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_CONFIG_BYTES = 4 * 1024 * 1024
MAX_BLOB_BYTES = 64 * 1024 * 1024
MAX_POLICY_BYTES = 1024 * 1024

DIGEST_RE = re.compile(r'^sha256:[0-9a-f]{64}$')


class PullError(Exception):
    """A pull failure, its message worded like containers/image's."""


class DockerReference:
    """`host[:port]/path[:tag][@sha256:…]`, split the way containers/image does."""

    def __init__(self, text):
        self.text = text
        rest = text
        self.digest = None
        if '@' in rest:
            rest, self.digest = rest.split('@', 1)
            if not DIGEST_RE.match(self.digest):
                raise PullError(f'invalid reference format: "{text}"')
        self.tag = None
        last_slash = rest.rfind('/')
        colon = rest.rfind(':')
        if colon > last_slash:
            rest, self.tag = rest[:colon], rest[colon + 1:]
        first, _, remainder = rest.partition('/')
        if remainder and ('.' in first or ':' in first or first == 'localhost'):
            self.host, self.repository = first, remainder
        else:
            self.host, self.repository = 'docker.io', rest if '/' in rest else f'library/{rest}'
        if not self.repository or not re.match(r'^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$', self.repository):
            raise PullError(f'invalid reference format: "{text}"')
        if self.tag is None and self.digest is None:
            self.tag = 'latest'

    @property
    def name(self):
        return f'{self.host}/{self.repository}'

    def __str__(self):
        out = self.name
        if self.tag is not None:
            out += f':{self.tag}'
        if self.digest is not None:
            out += f'@{self.digest}'
        return out

    @property
    def reference(self):
        """What the registry API is asked for: the digest when pinned, else the tag."""
        return self.digest or self.tag


class Image:
    """A resolved image: the host platform's manifest (digest and OCI text, as ostree-ext stores them), its config."""

    def __init__(self, ref, digest, manifest_text, config_text, layers):
        self.ref = ref
        self.digest = digest
        self.manifest_text = manifest_text
        self.config_text = config_text
        self.layers = layers  # [(digest, size)]
        config = json.loads(config_text)
        self.config_digest = 'sha256:' + hashlib.sha256(config_text.encode()).hexdigest()
        labels = (config.get('config') or {}).get('Labels') or {}
        self.labels = labels
        self.version = labels.get('org.opencontainers.image.version') or labels.get('version') or None
        self.created = config.get('created')
        self.architecture = config.get('architecture')

    def to_json(self):
        return {
            'ref': str(self.ref),
            'digest': self.digest,
            'manifest': self.manifest_text,
            'config': self.config_text,
            'layers': [[d, s] for d, s in self.layers],
        }

    @staticmethod
    def from_json(value):
        return Image(DockerReference(value['ref']), value['digest'], value['manifest'],
                     value['config'], [(d, s) for d, s in value['layers']])


class ContainerImages:
    """Where the stand-in's pulls go: the world's registry only, opened by skopeo's image proxy."""

    def __init__(self, skopeo, etc_root, run_dir, reachable_hosts):
        self.skopeo = skopeo
        self.etc_root = etc_root
        self.run_dir = run_dir
        self.reachable_hosts = set(reachable_hosts)

    @property
    def policy_path(self):
        return os.path.join(self.etc_root, 'containers', 'policy.json')

    def open(self, ref, policy_text=None):
        """Opens `ref` as ostree-ext does, under the host's policy (or `policy_text`); an ImagePull."""
        if ref.host not in self.reachable_hosts:
            # The world has no network: containers/image's words for a host that does not resolve.
            raise PullError(
                f'pinging container registry {ref.host}: Get "https://{ref.host}/v2/": '
                f'dial tcp: lookup {ref.host.split(":")[0]}: no such host')
        policy_file = self._policy_copy(policy_text)
        try:
            proxy = ImageProxy(self.skopeo, policy=policy_file or self.policy_path,
                               registries_d=os.path.join(self.etc_root, 'containers', 'registries.d'),
                               registries_conf=self._registries_conf())
        except ProxyError as error:
            self._remove(policy_file)
            raise PullError(str(error)) from None
        try:
            image_id = proxy.call('OpenImage', f'docker://{ref}')[0]
            return ImagePull(ref, proxy, image_id, lambda: self._remove(policy_file))
        except ProxyError as error:
            proxy.close()
            self._remove(policy_file)
            raise PullError(self._host_paths(str(error), policy_file)) from None

    def try_open(self, refs):
        """For cross-checks: whether OpenImage accepts each of `refs` under the host's policy, with one
        proxy (it reads policy.json and registries.d on every OpenImage). [(ref, None or refusal)]."""
        policy_file = self._policy_copy(None)
        answers = []
        try:
            with ImageProxy(self.skopeo, policy=policy_file or self.policy_path,
                            registries_d=os.path.join(self.etc_root, 'containers', 'registries.d'),
                            registries_conf=self._registries_conf()) as proxy:
                for ref in refs:
                    try:
                        image_id = proxy.call('OpenImage', f'docker://{ref}')[0]
                        proxy.call('CloseImage', image_id)
                        answers.append((ref, None))
                    except ProxyError as error:
                        answers.append((ref, self._host_paths(str(error), policy_file)))
        except ProxyError as error:
            raise PullError(str(error)) from None
        finally:
            self._remove(policy_file)
        return answers

    def resolve(self, ref, policy_text=None):
        """Only the image's metadata (manifest, config), for seeding and update checks."""
        with self.open(ref, policy_text) as pull:
            return pull.image

    def _policy_copy(self, policy_text):
        """The policy handed to the proxy: the host's, with /etc/... key paths moved into the world."""
        if policy_text is None:
            try:
                with open(self.policy_path, 'rb') as handle:
                    policy_text = handle.read(MAX_POLICY_BYTES + 1).decode('utf-8', 'replace')
            except FileNotFoundError:
                return None  # the proxy reports the missing file itself, naming the world's path
            if len(policy_text) > MAX_POLICY_BYTES:
                raise PullError(f'{self.policy_path}: larger than {MAX_POLICY_BYTES} bytes')
        # Only whole JSON strings naming /etc/…: the text is otherwise untouched, so the proxy judges
        # exactly what the host has (duplicate keys, unknown fields and all).
        etc = json.dumps(self.etc_root.rstrip('/'))[1:-1]
        rewritten = re.sub(r'"/etc/', lambda _: f'"{etc}/', policy_text)
        handle, path = tempfile.mkstemp(prefix='policy-', suffix='.json', dir=self.run_dir)
        with os.fdopen(handle, 'w') as out:
            out.write(rewritten)
        return path

    def _registries_conf(self):
        """The world's registries.conf, or an empty one: never the machine's own."""
        path = os.path.join(self.etc_root, 'containers', 'registries.conf')
        if os.path.exists(path):
            return path
        empty = os.path.join(self.run_dir, 'registries.conf')
        if not os.path.exists(empty):
            open(empty, 'w').close()
        return empty

    def _host_paths(self, text, policy_file):
        if policy_file:
            text = text.replace(policy_file, self.policy_path)
        return text

    @staticmethod
    def _remove(path):
        if path:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


class ImagePull:
    """One opened image: its manifest and config now, its layers on demand; close() ends the proxy."""

    def __init__(self, ref, proxy, image_id, cleanup):
        self.ref = ref
        self.proxy = proxy
        self.image_id = image_id
        self.cleanup = cleanup
        try:
            digest, manifest_bytes = proxy.call_with_data(MAX_MANIFEST_BYTES, 'GetManifest', image_id)
            _, config_bytes = proxy.call_with_data(MAX_CONFIG_BYTES, 'GetFullConfig', image_id)
            manifest = json.loads(manifest_bytes)
            layers = [(layer['digest'], int(layer.get('size', 0))) for layer in manifest.get('layers') or []]
            self.image = Image(ref, digest, manifest_bytes.decode(), config_bytes.decode(), layers)
        except ProxyError as error:
            self.close()
            raise PullError(str(error)) from None
        except (ValueError, KeyError, TypeError) as error:
            self.close()
            raise PullError(f'reading manifest of {ref}: {error}') from None
        if self.image.architecture and self.image.architecture != HOST_ARCH:
            self.close()
            raise PullError(f'Image has architecture {self.image.architecture}; expected {HOST_ARCH}')

    def fetch_layer(self, digest, size, sink=None):
        """Streams one layer to `sink(chunk)` (or nowhere); the proxy checks its size and digest. Returns its size."""
        try:
            _, count = self.proxy.call_with_data(MAX_BLOB_BYTES, 'GetBlob', self.image_id, digest, size, sink=sink or (lambda _: None))
        except ProxyError as error:
            raise PullError(f'fetching blob {digest}: {error}') from None
        return count

    def close(self):
        if self.proxy is not None:
            self.proxy.close()
            self.proxy = None
            self.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


def manifest_diff(old_layers, new_layers):
    """ostree-ext's ManifestDiff: layers only in the old image, only in the new one, and totals."""
    old = dict(old_layers)
    new = dict(new_layers)
    removed = [(d, s) for d, s in old.items() if d not in new]
    added = [(d, s) for d, s in new.items() if d not in old]
    return {
        'total': len(new),
        'total-size': sum(new.values()),
        'n-removed': len(removed),
        'removed-size': sum(s for _, s in removed),
        'n-added': len(added),
        'added-size': sum(s for _, s in added),
    }
