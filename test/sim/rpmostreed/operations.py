# What each rpm-ostreed transaction does, run in the transaction's worker thread: deploy-type work
# (upgrade, rebase, deploy, check, stage), rollback, cleanup and finalize, with the real messages.

from images import DockerReference, PullError
from policy import INSECURE_DEFAULT, default_is_insecure
from rpmdb import RpmdbError
from sysroot import Deployment, format_timestamp, merge_commit_checksum, parse_created
from transaction import TxError

OPEN_IMAGE = 'Creating importer: failed to invoke method OpenImage: '
TRANSPORTS = ('registry', 'oci', 'oci-archive', 'docker-archive', 'containers-storage', 'dir', 'docker-daemon')


class ImageRefspec:
    """ostree-ext's OstreeImageReference: how signatures are checked, the transport and the name."""

    def __init__(self, sigverify, transport, name, remote=None):
        self.sigverify = sigverify  # 'signed' | 'unverified' | 'remote'
        self.transport = transport
        self.name = name
        self.remote = remote

    def display(self):
        if self.sigverify == 'unverified' and self.transport == 'registry':
            return f'ostree-unverified-registry:{self.name}'
        imgref = f'docker://{self.name}' if self.transport == 'registry' else f'{self.transport}:{self.name}'
        if self.sigverify == 'signed':
            return f'ostree-image-signed:{imgref}'
        if self.sigverify == 'unverified':
            return f'ostree-unverified-image:{imgref}'
        return f'ostree-remote-image:{self.remote}:{imgref}'


CONTAINER_PREFIXES = ('ostree-image-signed:', 'ostree-unverified-image:', 'ostree-unverified-registry:',
                      'ostree-remote-image:', 'ostree-remote-registry:')


def is_container_refspec(refspec):
    return refspec.startswith(CONTAINER_PREFIXES)


def parse_image_refspec(refspec):
    scheme, _, rest = refspec.partition(':')
    remote = None
    if scheme == 'ostree-image-signed':
        sigverify = 'signed'
    elif scheme == 'ostree-unverified-image':
        sigverify = 'unverified'
    elif scheme == 'ostree-unverified-registry':
        sigverify, rest = 'unverified', f'registry:{rest}'
    elif scheme in ('ostree-remote-image', 'ostree-remote-registry'):
        remote, sep, rest = rest.partition(':')
        if not sep:
            raise TxError(f"Missing second ':' in {refspec}")
        sigverify = 'remote'
        if scheme == 'ostree-remote-registry':
            rest = f'registry:{rest}'
    else:
        raise TxError(f'Invalid ostree image reference scheme: {scheme}')
    transport, sep, name = rest.partition(':')
    if not sep:
        raise TxError(f"Missing ':' in {rest}")
    if transport == 'docker':
        if not name.startswith('//'):
            raise TxError(f'Missing // in docker:// in {rest}')
        transport, name = 'registry', name[2:]
    if transport not in TRANSPORTS:
        raise TxError(f"Unknown transport '{transport}'")
    if not name:
        raise TxError(f'Invalid empty name in {rest}')
    return ImageRefspec(sigverify, transport, name, remote)


def format_size(size):
    for unit in ('bytes', 'kB', 'MB', 'GB'):
        if size < 1000 or unit == 'GB':
            return f'{size} {unit}' if unit == 'bytes' else f'{size:.1f} {unit}'
        size /= 1000
    return f'{size} GB'


class DeployRequest:
    """The parsed arguments of Upgrade / Rebase / Deploy / UpdateDeployment / AutomaticUpdateTrigger."""

    def __init__(self, method, osname, options, refspec=None, revision=None, metadata_only=False,
                 allow_downgrade_default=False):
        self.method = method
        self.osname = osname
        self.options = options
        self.refspec = refspec[len('ostree://'):] if refspec and refspec.startswith('ostree://') else refspec
        self.revision = revision
        self.metadata_only = metadata_only
        self.download_only = options.get('download-only', False)
        self.cache_only = options.get('cache-only', False)
        self.lock_finalization = options.get('lock-finalization', False)
        self.reboot = options.get('reboot', False)
        self.allow_downgrade = options.get('allow-downgrade', allow_downgrade_default or bool(refspec or revision))
        if self.cache_only and self.download_only:
            raise TxError("Can't specify cache-only and download-only")
        if self.refspec and is_container_refspec(self.refspec):
            parse_image_refspec(self.refspec)

    @property
    def is_upgrade(self):
        return not self.refspec and not self.revision

    def title(self):
        command_line = self.options.get('initiating-command-line')
        if command_line:
            if '--trigger-automatic-update-policy' in command_line:
                return 'automatic (check)' if self.metadata_only else 'automatic (stage)'
            return command_line
        title = 'rebase' if self.refspec else 'deploy' if self.revision else 'upgrade'
        if self.cache_only:
            title += ' (cache only)'
        elif self.metadata_only:
            title += ' (check only)'
        elif self.download_only:
            title += ' (download only)'
        return title


def run_deploy(tx, daemon, request):
    tx.set_title(request.title())
    state = daemon.on_main(lambda: snapshot(daemon, request.osname))
    merge, booted, blobs, faults = state['merge'], state['booted'], state['blobs'], state['faults']
    if merge is None:
        raise TxError(f'No deployments found for os {request.osname}')
    current = merge.refspec or merge.origin
    if request.refspec and request.refspec == current:
        raise TxError(f'Old and new refs are equal: {request.refspec}')
    refspec = request.refspec or current
    if not is_container_refspec(refspec):
        remote = refspec.split(':', 1)[0] if ':' in refspec else None
        raise TxError(f'Remote "{remote}" not found' if remote else f'Refspec "{refspec}" not found in local repository')
    image_ref = parse_image_refspec(refspec)

    tx.message(f'Pulling manifest: {image_ref.display()}')
    tx.checkpoint()
    pull = open_image(daemon, image_ref, request, faults)
    try:
        deploy_pulled(tx, daemon, request, refspec, image_ref, pull, merge, booted, blobs)
    finally:
        pull.close()


def deploy_pulled(tx, daemon, request, refspec, image_ref, pull, merge, booted, blobs):
    """The rest of a deploy once the image is open: check only, no change, or import and stage."""
    image = pull.image
    tx.check_cancelled()

    same_base = merge.image is not None and merge.image.digest == image.digest and not request.refspec
    if request.metadata_only:
        def record_check():
            if booted is not None and booted.image is not None and booted.image.digest != image.digest:
                daemon.sysroot.set_update_unstaged(booted, image)
            else:
                daemon.sysroot.cached_update = None
        daemon.commit(record_check)
        return
    if same_base:
        tx.message('No upgrade available.' if request.is_upgrade else 'No change.')
        return
    if not request.allow_downgrade and merge.image is not None:
        new_time = image_timestamp(image)
        if new_time < merge.timestamp:
            raise TxError(
                f"Upgrade target revision '{image.digest}' with timestamp '{format_timestamp(new_time)}' is "
                f"chronologically older than current revision '{merge.image.digest}' with timestamp "
                f"'{format_timestamp(merge.timestamp)}'; use --allow-downgrade to permit")

    tx.message(f'Importing: {image_ref.display()} (digest: {image.digest})')
    needed = [(digest, size) for digest, size in image.layers if digest not in blobs or not daemon.blob_store.has(digest)]
    present = len(image.layers) - len(needed)
    tx.message(f'layers already present: {present}; layers needed: {len(needed)} '
               f'({format_size(sum(size for _, size in needed))})')
    fetched = []
    for index, (digest, size) in enumerate(needed, 1):
        tx.task_begin(f'[{index}/{len(needed)}] Fetching layer {digest[7:19]} ({format_size(size)})')
        try:
            chunks = []
            pull.fetch_layer(digest, size, sink=chunks.append)
            daemon.blob_store.put(digest, b''.join(chunks))
        except PullError as error:
            raise TxError(f'Importing: {error}') from None
        fetched.append(digest)
        tx.task_end('done')
        tx.check_cancelled()

    if request.download_only:
        daemon.commit(lambda: daemon.sysroot.blobs.update(fetched))
        tx.message('Update downloaded.')
        return

    tx.task_begin('Staging deployment')
    checksum = merge_commit_checksum(image)
    try:
        # The deployment's root gets the image's rpm database, which GetDeploymentsRpmDiff reads later.
        daemon.rpmdbs.check_out(daemon.blob_store, checksum, image)
    except RpmdbError as error:
        raise TxError(f'Staging deployment: {error}') from None
    tx.check_cancelled()

    def stage():
        sysroot = daemon.sysroot
        deployment = Deployment(request.osname, checksum, sysroot.next_serial(request.osname, checksum), refspec,
                                image, override_digest=request.revision, locked=request.lock_finalization)
        sysroot.blobs.update(fetched)
        sysroot.stage_deployment(deployment)
        if request.is_upgrade and sysroot.booted is not None:
            sysroot.set_update_staged(sysroot.booted, deployment)
        if request.reboot:
            sysroot.record_reboot('rpm-ostreed', {'reason': request.method})
            sysroot.rebooting = True
    daemon.commit(stage)
    tx.task_end('done')


def image_timestamp(image):
    return parse_created(image.created)


def open_image(daemon, image_ref, request, faults):
    """The OpenImage step: ostree-ext's default-policy check, then the real proxy opens the image."""
    if image_ref.sigverify == 'remote':
        raise TxError(f'Remote "{image_ref.remote}" not found')
    if image_ref.transport != 'registry':
        raise TxError(f'{OPEN_IMAGE}the test world only has a registry; {image_ref.transport}: is not available')
    if image_ref.sigverify == 'signed' and default_is_insecure(daemon.etc_root):
        raise TxError(INSECURE_DEFAULT)
    failure = faults.get('pull-failure')
    if failure:
        raise TxError(f'{OPEN_IMAGE}{failure}')
    try:
        ref = DockerReference(image_ref.name)
        if request.revision:
            if not request.revision.startswith('sha256:'):
                raise TxError(f'Invalid digest for container image override: {request.revision}')
            ref = DockerReference(f'{ref.name}@{request.revision}')
        pull = daemon.images.open(ref)
    except PullError as error:
        raise TxError(f'{OPEN_IMAGE}{error}') from None
    if not (pull.image.labels.get('ostree.bootable') or pull.image.labels.get('containers.bootc')):
        pull.close()
        raise TxError('Target image does not have ostree.bootable label')
    return pull


def snapshot(daemon, osname):
    sysroot = daemon.sysroot
    return {
        'merge': sysroot.merge_deployment(osname),
        'booted': sysroot.booted,
        'blobs': set(sysroot.blobs),
        'faults': dict(sysroot.faults),
    }


def run_rollback(tx, daemon, osname, reboot):
    tx.checkpoint()

    def rollback():
        sysroot = daemon.sysroot
        pending, target = sysroot.query(osname)
        if target is None and pending is None:
            raise TxError('No rollback deployment found')
        if pending is not None and pending.staged:
            raise TxError('Staged deployment (remove with cleanup -p)')
        if target is None:
            target = sysroot.booted
        tx.message(f"Moving '{target.checksum}.{target.serial}' to be first deployment")
        sysroot.deployments = [target] + [d for d in sysroot.deployments if d is not target]
        if reboot:
            sysroot.record_reboot('rpm-ostreed', {'reason': 'Rollback'})
            sysroot.rebooting = True
    daemon.commit(rollback)


def run_cleanup(tx, daemon, osname, elements):
    tx.checkpoint()

    def cleanup():
        sysroot = daemon.sysroot
        if 'pending-deploy' in elements or 'rollback-deploy' in elements:
            found_booted = False
            kept = []
            for d in sysroot.deployments:
                if d.osname != osname or d.pinned:
                    kept.append(d)
                elif d.id == sysroot.booted_id:
                    found_booted = True
                    kept.append(d)
                elif not found_booted and 'pending-deploy' in elements:
                    continue
                elif found_booted and 'rollback-deploy' in elements:
                    continue
                else:
                    kept.append(d)
            if len(kept) == len(sysroot.deployments):
                tx.message('Deployments unchanged.')
            sysroot.deployments = kept
        if 'repomd' in elements:
            sysroot.cached_update = None
    daemon.commit(cleanup)


def run_finalize(tx, daemon, osname, options):
    tx.checkpoint()

    def finalize():
        sysroot = daemon.sysroot
        if not sysroot.deployments:
            raise TxError('No deployments found')
        default = sysroot.deployments[0]
        if not default.staged:
            raise TxError('No pending staged deployment found')
        if default.osname != osname:
            raise TxError(f"Staged deployment is not for osname '{osname}'")
        expected = options.get('checksum')
        if not expected and not options.get('allow-missing-checksum', False):
            raise TxError('Missing expected checksum')
        if expected and expected != default.checksum:
            raise TxError(f'Expected staged base checksum {expected}, but found {default.checksum}')
        if not default.locked and not options.get('allow-unlocked', False):
            raise TxError('Staged deployment already unlocked')
        default.locked = False
        sysroot.record_reboot('rpm-ostreed', {'reason': 'FinalizeDeployment', 'checksum': default.checksum})
        sysroot.rebooting = True
    daemon.commit(finalize)
