# Each deployment's rpm database for the rpmostreed stand-in: layers kept as pulled, the package list
# checked out of a deployed image's content, and GetDeploymentsRpmDiff's answer computed the way rpm-ostree does.

import gzip
import hashlib
import io
import os
import re
import tarfile

from images import DIGEST_RE

# Where the world's images carry the file that stands for rpmdb.sqlite (test/world/packages.ts).
RPMDB_PATH = 'usr/lib/sysimage/rpm/rpmdb.tsv'
MAX_RPMDB_BYTES = 16 * 1024 * 1024
MAX_PACKAGES = 100_000

PACKAGE_ADDED = 0
PACKAGE_REMOVED = 1
PACKAGE_UPGRADED = 2
PACKAGE_DOWNGRADED = 3


class RpmdbError(Exception):
    """A deployment whose rpm database cannot be read."""


class BlobStore:
    """Layer blobs as pulled, by digest (what ostree-ext imports into the repository)."""

    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def path(self, digest):
        if not DIGEST_RE.match(digest):
            raise RpmdbError(f'invalid blob digest {digest}')
        return os.path.join(self.root, digest[len('sha256:'):])

    def has(self, digest):
        return os.path.exists(self.path(digest))

    def put(self, digest, data):
        if 'sha256:' + hashlib.sha256(data).hexdigest() != digest:
            raise RpmdbError(f'blob {digest} does not match its digest')
        target = self.path(digest)
        tmp = f'{target}.tmp{os.getpid()}'
        with open(tmp, 'wb') as handle:
            handle.write(data)
        os.replace(tmp, target)

    def read(self, digest):
        with open(self.path(digest), 'rb') as handle:
            return handle.read()


def rpmdb_from_layers(store, layer_digests):
    """The rpm database file of an image: the last layer that has one wins, as in its filesystem."""
    found = None
    for digest in layer_digests:
        if not store.has(digest):
            raise RpmdbError(f'layer {digest} was never imported')
        data = store.read(digest)
        try:
            raw = gzip.decompress(data) if data[:2] == b'\x1f\x8b' else data
            with tarfile.open(fileobj=io.BytesIO(raw), mode='r:') as archive:
                for member in archive:
                    if member.isfile() and member.name.lstrip('./') == RPMDB_PATH:
                        if member.size > MAX_RPMDB_BYTES:
                            raise RpmdbError(f'{RPMDB_PATH} in layer {digest} is too large')
                        found = archive.extractfile(member).read().decode('utf-8')
        except (OSError, tarfile.TarError, EOFError, UnicodeDecodeError) as error:
            raise RpmdbError(f'layer {digest} cannot be read: {error}') from None
    return found


class Package:
    __slots__ = ('name', 'epoch', 'version', 'release', 'arch')

    def __init__(self, name, epoch, version, release, arch):
        self.name = name
        self.epoch = epoch
        self.version = version
        self.release = release
        self.arch = arch

    @property
    def evr(self):
        """rpm-ostree's EVR: `epoch:version-release`, the epoch only when it is set and not 0."""
        if self.epoch and self.epoch not in ('0', '(none)'):
            return f'{self.epoch}:{self.version}-{self.release}'
        return f'{self.version}-{self.release}'

    def variant_tuple(self):
        return (self.name, self.evr, self.arch)


def parse_rpmdb(text):
    """The package list, sorted by name then arch as rpm-ostree's package lists are."""
    packages = []
    for line in text.splitlines():
        if not line or line.startswith('#'):
            continue
        fields = line.split('\t')
        if len(fields) != 5:
            raise RpmdbError(f'malformed package line: {line[:80]!r}')
        packages.append(Package(*fields))
        if len(packages) > MAX_PACKAGES:
            raise RpmdbError('too many packages')
    packages.sort(key=lambda p: (p.name.encode(), p.arch.encode()))
    return packages


def _segments(text):
    """rpm's version segments: runs of digits or of letters; '~' and '^' are kept as markers."""
    return re.findall(r'~|\^|[0-9]+|[A-Za-z]+', text)


def vercmp(a, b):
    """rpm's version comparison (rpmvercmp): -1, 0 or 1."""
    if a == b:
        return 0
    left, right = _segments(a), _segments(b)
    i = 0
    while True:
        x = left[i] if i < len(left) else None
        y = right[i] if i < len(right) else None
        # Tilde sorts before anything, even the end of the string; caret after the end only.
        if x == '~' or y == '~':
            if x != '~':
                return 1
            if y != '~':
                return -1
            i += 1
            continue
        if x == '^' or y == '^':
            if x is None:
                return -1
            if y is None:
                return 1
            if x != '^':
                return 1
            if y != '^':
                return -1
            i += 1
            continue
        if x is None or y is None:
            if x is None and y is None:
                return 0
            return -1 if x is None else 1
        x_num, y_num = x.isdigit(), y.isdigit()
        if x_num != y_num:
            # A numeric segment is newer than an alphabetic one.
            return 1 if x_num else -1
        if x_num:
            x, y = x.lstrip('0'), y.lstrip('0')
            if len(x) != len(y):
                return 1 if len(x) > len(y) else -1
        if x != y:
            return 1 if x > y else -1
        i += 1


def package_cmp(a, b):
    """rpm_ostree_package_cmp: by name, then epoch-version-release, then arch."""
    if a.name != b.name:
        return -1 if a.name.encode() < b.name.encode() else 1
    epoch_a = 0 if a.epoch in ('', '(none)') else int(a.epoch)
    epoch_b = 0 if b.epoch in ('', '(none)') else int(b.epoch)
    if epoch_a != epoch_b:
        return 1 if epoch_a > epoch_b else -1
    result = vercmp(a.version, b.version) or vercmp(a.release, b.release)
    if result:
        return result
    if a.arch != b.arch:
        return -1 if a.arch.encode() < b.arch.encode() else 1
    return 0


def _next_has_other_name(packages, index):
    """rpm-ostree's test for "a single package of that name": the next one is named differently."""
    return index + 1 >= len(packages) or packages[index + 1].name != packages[index].name


def diff(old, new):
    """rpm-ostree's package-list diff: a merge walk by name and arch; an arch change of a single
    package of that name counts as a modification, multilib packages are reported separately.
    Returns [(name, type, previous Package or None, new Package or None)] sorted by type, then name."""
    removed, added, modified = [], [], []
    i = j = 0
    while i < len(old) and j < len(new):
        a, b = old[i], new[j]
        if a.name.encode() < b.name.encode():
            removed.append(a)
            i += 1
        elif a.name.encode() > b.name.encode():
            added.append(b)
            j += 1
        elif a.arch == b.arch:
            if a.evr != b.evr:
                modified.append((a, b))
            i += 1
            j += 1
        elif _next_has_other_name(old, i) and _next_has_other_name(new, j):
            modified.append((a, b))
            i += 1
            j += 1
        elif a.arch.encode() < b.arch.encode():
            removed.append(a)
            i += 1
        else:
            added.append(b)
            j += 1
    removed.extend(old[i:])
    added.extend(new[j:])
    found = []
    for a, b in modified:
        kind = PACKAGE_DOWNGRADED if package_cmp(a, b) > 0 else PACKAGE_UPGRADED
        found.append((a.name, kind, a, b))
    found.extend((p.name, PACKAGE_REMOVED, p, None) for p in removed)
    found.extend((p.name, PACKAGE_ADDED, None, p) for p in added)
    found.sort(key=lambda entry: (entry[1], entry[0].encode()))
    return found


def _text_string(text):
    """A string in GVariant's text format: single-quoted, backslash and quote escaped."""
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in text):
        raise RpmdbError(f'control character in package data: {text[:40]!r}')
    return "'" + text.replace('\\', '\\\\').replace("'", "\\'") + "'"


def _text_package(package):
    return '<(%s, %s, %s)>' % tuple(_text_string(field) for field in package.variant_tuple())


def diff_variant_text(entries):
    """GetDeploymentsRpmDiff's reply `(a(sua{sv}))` as GVariant text, for GLib's own parser: building
    thousands of nested values one GLib.Variant() at a time from Python is several times slower."""
    elements = []
    for name, kind, previous, new in entries:
        details = []
        if previous is not None:
            details.append(f"'PreviousPackage': {_text_package(previous)}")
        if new is not None:
            details.append(f"'NewPackage': {_text_package(new)}")
        elements.append(f'({_text_string(name)}, uint32 {kind}, {{{", ".join(details)}}})')
    return f'([{", ".join(elements)}],)'


class DeploymentRpmdbs:
    """The rpm database checked out with each deployment, by its ostree commit (immutable once written)."""

    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def path(self, checksum):
        if not re.match(r'^[0-9a-f]{64}$', checksum):
            raise RpmdbError(f'invalid commit checksum {checksum}')
        return os.path.join(self.root, f'{checksum}.tsv')

    def write(self, checksum, text):
        target = self.path(checksum)
        if os.path.exists(target):
            return
        tmp = f'{target}.tmp{os.getpid()}'
        with open(tmp, 'w', encoding='utf-8') as handle:
            handle.write(text)
        os.replace(tmp, target)

    def check_out(self, store, checksum, image):
        """What deploying an image writes: its rpm database, from the layers as imported. An image
        without one still deploys; comparing its packages fails later, as rpm-ostree's does."""
        text = rpmdb_from_layers(store, [digest for digest, _size in image.layers])
        if text is None:
            return
        parse_rpmdb(text)  # refuse a malformed one at deploy time, as rpm would
        self.write(checksum, text)

    def packages(self, checksum):
        try:
            with open(self.path(checksum), encoding='utf-8') as handle:
                return parse_rpmdb(handle.read(MAX_RPMDB_BYTES))
        except FileNotFoundError:
            raise RpmdbError(f'No rpm database in commit {checksum}') from None
