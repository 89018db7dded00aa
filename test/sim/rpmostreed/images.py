# Container image pulls for the rpm-ostreed stand-in: resolves tags and digests against the world's
# registry over real HTTP, picks linux/amd64 from an index, and words failures like containers/image.

import hashlib
import json
import re
import urllib.error
import urllib.request

MEDIA_OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
MEDIA_OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
MEDIA_DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
MEDIA_DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
MEDIA_SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json'
INDEX_TYPES = (MEDIA_OCI_INDEX, MEDIA_DOCKER_LIST)
ACCEPT = ', '.join([MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST, MEDIA_DOCKER_LIST, MEDIA_DOCKER_MANIFEST])

# What the host is: rpm-ostree records the manifest of its own architecture.
HOST_PLATFORM = {'os': 'linux', 'architecture': 'amd64'}
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_BLOB_BYTES = 64 * 1024 * 1024
TIMEOUT_SECONDS = 10

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
    """A resolved image: the digest a tag points at, the host platform's manifest, its config."""

    def __init__(self, ref, top_digest, digest, manifest_text, config_text, layers):
        self.ref = ref
        self.top_digest = top_digest
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
            'top_digest': self.top_digest,
            'digest': self.digest,
            'manifest': self.manifest_text,
            'config': self.config_text,
            'layers': [[d, s] for d, s in self.layers],
        }

    @staticmethod
    def from_json(value):
        return Image(DockerReference(value['ref']), value['top_digest'], value['digest'], value['manifest'],
                     value['config'], [(d, s) for d, s in value['layers']])


class Registry:
    """The registries the stand-in can reach: only the world's own, over plain HTTP on loopback."""

    def __init__(self, reachable_hosts):
        self.reachable_hosts = set(reachable_hosts)

    def _url(self, ref, path):
        if ref.host not in self.reachable_hosts:
            raise PullError(
                f'pinging container registry {ref.host}: Get "https://{ref.host}/v2/": '
                f'dial tcp: lookup {ref.host.split(":")[0]}: no such host')
        return f'http://{ref.host}/v2/{ref.repository}/{path}'

    def _get(self, ref, path, accept=None, limit=MAX_MANIFEST_BYTES, method='GET'):
        request = urllib.request.Request(self._url(ref, path), method=method)
        if accept:
            request.add_header('Accept', accept)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                body = response.read(limit + 1) if method == 'GET' else b''
                if len(body) > limit:
                    raise PullError(f'reading {path} in {ref.name}: larger than {limit} bytes')
                return response.status, response.headers, body
        except urllib.error.HTTPError as error:
            body = error.read(64 * 1024)
            return error.code, error.headers, body
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, 'reason', error)
            raise PullError(
                f'pinging container registry {ref.host}: Get "https://{ref.host}/v2/": '
                f'dial tcp {ref.host}: connect: {describe_socket_error(reason)}') from None

    def _manifest(self, ref, reference):
        status, headers, body = self._get(ref, f'manifests/{reference}', ACCEPT)
        if status != 200:
            raise PullError(f'reading manifest {reference} in {ref.name}: {registry_error(status, body)}')
        digest = 'sha256:' + hashlib.sha256(body).hexdigest()
        if reference.startswith('sha256:') and digest != reference:
            raise PullError(f'manifest digest {digest} does not match expected {reference}')
        try:
            manifest = json.loads(body)
        except ValueError:
            raise PullError(f'reading manifest {reference} in {ref.name}: invalid JSON') from None
        media_type = manifest.get('mediaType') or headers.get('Content-Type', '').split(';')[0]
        return digest, media_type, body.decode(), manifest

    def resolve(self, ref):
        """The image `ref` names now: follows an index to the host platform's manifest."""
        top_digest, media_type, text, manifest = self._manifest(ref, ref.reference)
        digest = top_digest
        if media_type in INDEX_TYPES or 'manifests' in manifest:
            chosen = None
            for entry in manifest.get('manifests') or []:
                platform = entry.get('platform') or {}
                if platform.get('os') == HOST_PLATFORM['os'] and platform.get('architecture') == HOST_PLATFORM['architecture']:
                    chosen = entry
                    break
            if chosen is None:
                raise PullError(f'no image found in image index for architecture {HOST_PLATFORM["architecture"]}, '
                                f'variant "", OS {HOST_PLATFORM["os"]}')
            digest, media_type, text, manifest = self._manifest(ref, chosen['digest'])
        config_descriptor = manifest.get('config') or {}
        config_digest = config_descriptor.get('digest', '')
        status, _, config_body = self._get(ref, f'blobs/{config_digest}')
        if status != 200:
            raise PullError(f'fetching blob {config_digest}: {registry_error(status, config_body)}')
        if 'sha256:' + hashlib.sha256(config_body).hexdigest() != config_digest:
            raise PullError(f'fetching blob {config_digest}: digest did not match')
        layers = [(layer['digest'], int(layer.get('size', 0))) for layer in manifest.get('layers') or []]
        image = Image(ref, top_digest, digest, text, config_body.decode(), layers)
        if image.architecture and image.architecture != HOST_PLATFORM['architecture']:
            raise PullError(f'Image has architecture {image.architecture}; expected {HOST_PLATFORM["architecture"]}')
        return image

    def fetch_layer(self, ref, digest):
        """Downloads one layer and checks its digest, as an import does; returns its bytes."""
        status, _, body = self._get(ref, f'blobs/{digest}', limit=MAX_BLOB_BYTES)
        if status != 200:
            raise PullError(f'fetching blob {digest}: {registry_error(status, body)}')
        if 'sha256:' + hashlib.sha256(body).hexdigest() != digest:
            raise PullError(f'fetching blob {digest}: digest did not match')
        return body

    def signature_layers(self, ref, top_digest):
        """Media types of the layers of the cosign `.sig` manifest for `top_digest`, or None."""
        tag = top_digest.replace(':', '-') + '.sig'
        status, _, body = self._get(ref, f'manifests/{tag}', f'{MEDIA_OCI_MANIFEST}, {MEDIA_DOCKER_MANIFEST}')
        if status == 404:
            return None
        if status != 200:
            raise PullError(f'reading signatures for {ref.name}@{top_digest}: {registry_error(status, body)}')
        try:
            manifest = json.loads(body)
        except ValueError:
            return []
        return [layer.get('mediaType') for layer in manifest.get('layers') or []]


def registry_error(status, body):
    try:
        errors = json.loads(body).get('errors') or []
    except (ValueError, AttributeError):
        errors = []
    if errors:
        first = errors[0]
        code = str(first.get('code', '')).replace('_', ' ').lower()
        message = first.get('message', '')
        return code if message == code else f'{code}: {message}'
    return f'received unexpected HTTP status: {status}'


def describe_socket_error(reason):
    text = str(reason).lower()
    if 'refused' in text:
        return 'connection refused'
    if 'timed out' in text:
        return 'i/o timeout'
    return text


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
