# The stand-in's sysroot: deployments in boot order, the booted one, the cached update, the pulled
# layers, recorded reboots and faults, persisted to one JSON file so it survives daemon restarts.

import hashlib
import json
import os
import time
from datetime import datetime, timezone

from gi.repository import GLib

from images import Image, manifest_diff

BASE_PATH = '/org/projectatomic/rpmostree1'
IMPORTER_VERSION = '0.15.3'


def os_object_path(osname):
    """rpm-ostree's escaping: [A-Za-z0-9_] kept, '-' and '/' become '_', other bytes '_XX'."""
    out = []
    for byte in osname.encode():
        char = chr(byte)
        if char.isascii() and (char.isalnum() or char == '_'):
            out.append(char)
        elif char in '-/':
            out.append('_')
        else:
            out.append(f'_{byte:02X}')
    return f'{BASE_PATH}/{"".join(out)}'


def parse_created(created):
    if not created:
        return 0
    text = created.replace('Z', '+00:00')
    if '.' in text:
        head, _, tail = text.partition('.')
        digits = ''.join(c for c in tail if c.isdigit())
        zone = tail[len(digits):]
        text = f'{head}.{digits[:6]}{zone}'
    return int(datetime.fromisoformat(text).timestamp())


def format_timestamp(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


class Deployment:
    def __init__(self, osname, checksum, serial, refspec, image=None, origin=None, version=None,
                 timestamp=0, pinned=False, staged=False, locked=False, override_digest=None):
        self.osname = osname
        self.checksum = checksum
        self.serial = serial
        self.refspec = refspec  # container-image-reference, or None for ostree origins
        self.origin = origin  # ostree refspec for classic deployments
        self.image = image
        self.version = version if version is not None else (image.version if image else None)
        self.timestamp = timestamp or (parse_created(image.created) if image else 0)
        self.pinned = pinned
        self.staged = staged
        self.locked = locked
        self.override_digest = override_digest

    @property
    def id(self):
        return f'{self.osname}-{self.checksum}.{self.serial}'

    def to_json(self):
        return {
            'osname': self.osname, 'checksum': self.checksum, 'serial': self.serial,
            'refspec': self.refspec, 'origin': self.origin,
            'image': self.image.to_json() if self.image else None,
            'version': self.version, 'timestamp': self.timestamp, 'pinned': self.pinned,
            'staged': self.staged, 'locked': self.locked, 'override_digest': self.override_digest,
        }

    @staticmethod
    def from_json(v):
        return Deployment(v['osname'], v['checksum'], v['serial'], v.get('refspec'),
                          Image.from_json(v['image']) if v.get('image') else None, v.get('origin'),
                          v.get('version'), v.get('timestamp', 0), v.get('pinned', False),
                          v.get('staged', False), v.get('locked', False), v.get('override_digest'))

    def variant(self, booted_id):
        """The a{sv} rpm-ostree builds for a deployment (container origins carry no `origin`)."""
        d = {
            'id': GLib.Variant('s', self.id),
            'osname': GLib.Variant('s', self.osname),
            'serial': GLib.Variant('i', self.serial),
            'checksum': GLib.Variant('s', self.checksum),
        }
        if self.version:
            d['version'] = GLib.Variant('s', self.version)
        d['timestamp'] = GLib.Variant('t', self.timestamp)
        d['booted'] = GLib.Variant('b', self.id == booted_id)
        d['staged'] = GLib.Variant('b', self.staged)
        d['pinned'] = GLib.Variant('b', self.pinned)
        d['unlocked'] = GLib.Variant('s', 'none')
        for key in ('requested-packages', 'requested-local-packages', 'requested-local-fileoverride-packages',
                    'requested-base-removals', 'requested-base-local-replacements'):
            d[key] = GLib.Variant('as', [])
        d['regenerate-initramfs'] = GLib.Variant('b', False)
        d['base-commit-meta'] = GLib.Variant('a{sv}', self.commit_meta())
        d['packages'] = GLib.Variant('as', [])
        d['base-removals'] = GLib.Variant('av', [])
        d['base-local-replacements'] = GLib.Variant('a(vv)', [])
        d['base-remote-replacements'] = GLib.Variant('a{sv}', {})
        if self.image:
            d['container-image-reference'] = GLib.Variant('s', self.refspec)
            d['container-image-reference-digest'] = GLib.Variant('s', self.image.digest)
        else:
            d['origin'] = GLib.Variant('s', self.origin or '')
            d['gpg-enabled'] = GLib.Variant('b', ':' in (self.origin or ''))
        if self.staged and self.locked:
            d['finalization-locked'] = GLib.Variant('b', True)
        return GLib.Variant('a{sv}', d)

    def commit_meta(self):
        if not self.image:
            return {'version': GLib.Variant('s', self.version)} if self.version else {}
        return {
            'ostree.manifest-digest': GLib.Variant('s', self.image.digest),
            'ostree.manifest': GLib.Variant('s', self.image.manifest_text),
            'ostree.container.image-config': GLib.Variant('s', self.image.config_text),
            'ostree.importer.version': GLib.Variant('s', IMPORTER_VERSION),
        }


def merge_commit_checksum(image):
    """A stand-in for the ostree merge commit ostree-ext writes: stable per image and origin."""
    return hashlib.sha256(f'ostree-merge:{image.digest}:{image.config_digest}'.encode()).hexdigest()


class Sysroot:
    def __init__(self, path):
        self.path = path
        self.deployments = []
        self.booted_id = None
        self.cached_update = None  # dict of python values, see cached_update_variant
        self.policy = 'none'
        self.blobs = set()
        self.reboots = []
        self.rebooting = False
        self.faults = {}
        self.boot_count = 1

    # -- persistence -------------------------------------------------------------------------

    def load(self):
        with open(self.path) as handle:
            data = json.load(handle)
        self.deployments = [Deployment.from_json(d) for d in data.get('deployments', [])]
        self.booted_id = data.get('booted_id')
        self.cached_update = data.get('cached_update')
        self.policy = data.get('policy', 'none')
        self.blobs = set(data.get('blobs', []))
        self.reboots = data.get('reboots', [])
        self.rebooting = data.get('rebooting', False)
        self.faults = data.get('faults', {})
        self.boot_count = data.get('boot_count', 1)

    def save(self):
        data = {
            'materialized': True,
            'deployments': [d.to_json() for d in self.deployments],
            'booted_id': self.booted_id,
            'cached_update': self.cached_update,
            'policy': self.policy,
            'blobs': sorted(self.blobs),
            'reboots': self.reboots,
            'rebooting': self.rebooting,
            'faults': self.faults,
            'boot_count': self.boot_count,
        }
        tmp = f'{self.path}.tmp'
        with open(tmp, 'w') as handle:
            json.dump(data, handle, indent=1)
        os.replace(tmp, self.path)

    # -- queries ---------------------------------------------------------------------------------

    @property
    def booted(self):
        return next((d for d in self.deployments if d.id == self.booted_id), None)

    @property
    def staged(self):
        return next((d for d in self.deployments if d.staged), None)

    def osnames(self):
        seen = []
        for d in self.deployments:
            if d.osname not in seen:
                seen.append(d.osname)
        return seen

    def query(self, osname):
        """libostree's query_deployments_for: (pending, rollback) around the booted deployment."""
        pending = rollback = None
        found_booted = False
        for d in self.deployments:
            if d.osname != osname:
                continue
            if d.id == self.booted_id:
                found_booted = True
                continue
            if not found_booted and pending is None:
                pending = d
            elif found_booted and rollback is None:
                rollback = d
        return pending, rollback

    def default_for(self, osname):
        return next((d for d in self.deployments if d.osname == osname), None)

    def merge_deployment(self, osname):
        """What new deployments build on: the default one of the stateroot."""
        return self.default_for(osname)

    def next_serial(self, osname, checksum):
        return sum(1 for d in self.deployments if d.osname == osname and d.checksum == checksum)

    # -- changes ---------------------------------------------------------------------------------

    def stage_deployment(self, deployment):
        """Stages a new deployment first in boot order, replacing any staged one (on a booted host
        rpm-ostree always stages; the pruning happens when the staged deployment is finalized)."""
        self.deployments = [d for d in self.deployments if not d.staged]
        deployment.staged = True
        self.deployments.insert(0, deployment)

    def reboot(self, finalize):
        """What the next boot sees. A staged deployment is finalized at shutdown unless it is locked
        or the shutdown did not run finalization; otherwise it is gone (/run does not survive)."""
        staged = self.staged
        if staged is not None:
            if finalize and not staged.locked:
                staged.staged = False
                kept = [staged]
                for d in self.deployments[1:]:
                    if d.id == self.booted_id or d.pinned:
                        kept.append(d)
                self.deployments = kept
            else:
                self.deployments = [d for d in self.deployments if not d.staged]
        old_booted = self.booted
        new_booted = self.default_for(old_booted.osname if old_booted else (self.osnames() or [''])[0])
        if new_booted is not None:
            self.booted_id = new_booted.id
        if old_booted is None or new_booted is None or old_booted.checksum != new_booted.checksum:
            self.cached_update = None
        self.rebooting = False
        self.boot_count += 1

    def record_reboot(self, source, detail=None):
        entry = {'source': source, 'time': time.time(), 'boot': self.boot_count}
        if detail:
            entry.update(detail)
        self.reboots.append(entry)

    # -- cached update ---------------------------------------------------------------------------

    def set_update_unstaged(self, booted, new_image):
        """A container check that found a different image: ostree-ext caches the manifest only."""
        self.cached_update = {
            'osname': booted.osname,
            'checksum': booted.checksum,
            'version': new_image.version or '',
            'timestamp': booted.timestamp,
            'origin': booted.refspec,
            'ref-has-new-commit': False,
            'manifest-diff': manifest_diff(booted.image.layers, new_image.layers),
            'update-sha256': booted.checksum,
            'pending-digest': new_image.digest,
        }

    def set_update_staged(self, booted, staged):
        """After a plain upgrade the cached update describes booted → the new deployment."""
        self.cached_update = {
            'osname': booted.osname,
            'checksum': staged.checksum,
            'version': staged.version or '',
            'timestamp': staged.timestamp,
            'origin': staged.refspec or staged.origin or '',
            'ref-has-new-commit': staged.checksum != booted.checksum,
            'deployment': staged.id,
            'update-sha256': booted.checksum,
        }

    def cached_update_variant(self, osname):
        update = self.cached_update
        booted = self.booted
        if not update or not booted or booted.osname != osname or update.get('update-sha256') != booted.checksum:
            return GLib.Variant('a{sv}', {}), False
        d = {
            'osname': GLib.Variant('s', update['osname']),
            'checksum': GLib.Variant('s', update['checksum']),
            'version': GLib.Variant('s', update['version']),
            'timestamp': GLib.Variant('t', update['timestamp']),
            'origin': GLib.Variant('s', update['origin']),
            'ref-has-new-commit': GLib.Variant('b', update['ref-has-new-commit']),
        }
        if 'manifest-diff' in update:
            d['manifest-diff'] = GLib.Variant('a{sv}', {k: GLib.Variant('t', v) for k, v in update['manifest-diff'].items()})
        if 'deployment' in update:
            d['deployment'] = GLib.Variant('s', update['deployment'])
        d['update-sha256'] = GLib.Variant('s', update['update-sha256'])
        return GLib.Variant('a{sv}', d), True

    # -- dump ------------------------------------------------------------------------------------

    def dump(self):
        return {
            'deployments': [dict(d.to_json(), id=d.id, booted=d.id == self.booted_id,
                                 image=({'digest': d.image.digest, 'ref': str(d.image.ref)} if d.image else None))
                            for d in self.deployments],
            'bootedId': self.booted_id,
            'cachedUpdate': self.cached_update,
            'automaticUpdatePolicy': self.policy,
            'reboots': self.reboots,
            'rebooting': self.rebooting,
            'faults': self.faults,
            'bootCount': self.boot_count,
            'blobs': sorted(self.blobs),
        }
