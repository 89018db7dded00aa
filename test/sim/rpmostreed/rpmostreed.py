#!/usr/bin/python3
# A stand-in for rpm-ostreed on the test world's system bus, written on GLib's own D-Bus like the real
# daemon: bus objects and properties, clients and idle exit, transactions, and a test-only control API.

import argparse
import json
import os
import random
import signal
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True  # the stand-in runs from the source tree; leave no __pycache__ there

import gi  # noqa: E402

gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from images import ContainerImages, DockerReference, PullError  # noqa: E402
from operations import (DeployRequest, is_container_refspec, parse_image_refspec, run_cleanup,  # noqa: E402
                        run_deploy, run_finalize, run_rollback)
from rpmdb import BlobStore, DeploymentRpmdbs, RpmdbError, diff, diff_variant_text  # noqa: E402
from sysroot import BASE_PATH, Deployment, Sysroot, merge_commit_checksum, os_object_path  # noqa: E402
from transaction import Transaction, TxError  # noqa: E402

BUS_NAME = 'org.projectatomic.rpmostree1'
SYSROOT_PATH = f'{BASE_PATH}/Sysroot'
SYSROOT_IFACE = 'org.projectatomic.rpmostree1.Sysroot'
OS_IFACE = 'org.projectatomic.rpmostree1.OS'
OM_IFACE = 'org.freedesktop.DBus.ObjectManager'
SIM_PATH = '/org/vespera/Sim'
SIM_IFACE = 'org.vespera.Sim'
CLEANUP_ELEMENTS = ('base', 'pending-deploy', 'rollback-deploy', 'repomd')
POLICIES = ('none', 'check', 'stage', 'apply')
G_IO_ERROR_FAILED = 0
G_IO_ERROR_NOT_FOUND = 1
G_IO_ERROR_BUSY = 26
# The scenario's history: what the host booted was pulled before today's policy, so seeding accepts it.
SEED_POLICY = '{"default": [{"type": "insecureAcceptAnything"}]}'


class Daemon:
    def __init__(self, config_path):
        with open(config_path) as handle:
            self.config = json.load(handle)
        self.config_path = config_path
        self.state_dir = self.config['stateDir']
        self.run_dir = os.path.join(self.state_dir, 'run')
        os.makedirs(self.run_dir, exist_ok=True)
        self.etc_root = self.config['etcRoot']
        self.log_file = open(os.path.join(self.state_dir, 'rpmostreed.log'), 'a', buffering=1)
        # Tracebacks from callbacks and GLib warnings land in the same log as everything else.
        os.dup2(self.log_file.fileno(), 2)
        self.images = ContainerImages(self.config['skopeo'], self.etc_root, self.run_dir, self.config.get('registries', []))
        self.sysroot = Sysroot(os.path.join(self.state_dir, 'sysroot.json'))
        self.blob_store = BlobStore(os.path.join(self.state_dir, 'blobs'))
        self.rpmdbs = DeploymentRpmdbs(os.path.join(self.state_dir, 'rpmdb'))
        self.interfaces = Gio.DBusNodeInfo.new_for_xml(open(os.path.join(HERE, 'interface.xml')).read())
        self.control = Gio.DBusNodeInfo.new_for_xml(open(os.path.join(HERE, 'control.xml')).read())
        self.connection = None
        self.loop = GLib.MainLoop()
        self.props = {}
        self.os_registrations = {}
        self.clients = {}
        self.transaction = None
        self.idle_timer = 0
        self.last_change_at = None  # wall-clock time of the last PropertiesChanged, for benchmarks
        self.main_thread = threading.get_ident()

    def log(self, text):
        self.log_file.write(f'{time.strftime("%H:%M:%S")} [{os.getpid()}] {text}\n')

    # -- start-up ------------------------------------------------------------------------------

    def load_state(self):
        with open(self.sysroot.path) as handle:
            seed = json.load(handle)
        if seed.get('materialized'):
            self.sysroot.load()
        else:
            self.materialize(seed)

    def materialize(self, seed):
        """First start in a world: pulls the scenario's images so deployments carry real digests."""
        sysroot = self.sysroot
        sysroot.policy = seed.get('automaticUpdatePolicy', 'none')
        sysroot.faults = seed.get('faults', {})
        osname = seed.get('osname', 'fedora')
        for spec in seed['deployments']:
            refspec = spec.get('refspec')
            if refspec and is_container_refspec(refspec):
                # The scenario's deployments were pulled and deployed like any other: layers imported,
                # the image's rpm database checked out with the deployment.
                with self.images.open(DockerReference(spec['pull']), SEED_POLICY) as pull:
                    image = pull.image
                    for digest, size in image.layers:
                        if not self.blob_store.has(digest):
                            chunks = []
                            pull.fetch_layer(digest, size, sink=chunks.append)
                            self.blob_store.put(digest, b''.join(chunks))
                checksum = merge_commit_checksum(image)
                self.rpmdbs.check_out(self.blob_store, checksum, image)
                deployment = Deployment(osname, checksum, sysroot.next_serial(osname, checksum), refspec, image,
                                        pinned=spec.get('pinned', False), staged=spec.get('staged', False),
                                        locked=spec.get('finalizationLocked', False),
                                        override_digest=spec.get('overrideDigest'))
                sysroot.blobs.update(d for d, _ in image.layers)
            else:
                checksum = spec.get('checksum') or os.urandom(32).hex()
                deployment = Deployment(osname, checksum, 0, None, None, origin=spec['origin'],
                                        version=spec.get('version'), timestamp=spec.get('timestamp', 0),
                                        pinned=spec.get('pinned', False))
            sysroot.deployments.append(deployment)
            if spec.get('booted'):
                sysroot.booted_id = deployment.id
        booted, staged = sysroot.booted, sysroot.staged
        if seed.get('cachedUpdate') == 'upgrade' and booted and staged:
            sysroot.set_update_staged(booted, staged)
        elif seed.get('cachedUpdate') == 'check' and booted and booted.image:
            ref = parse_image_refspec(booted.refspec)
            latest = self.images.resolve(DockerReference(ref.name), SEED_POLICY)
            if latest.digest != booted.image.digest:
                sysroot.set_update_unstaged(booted, latest)
        sysroot.save()

    def run(self):
        self.load_state()
        address = self.config['busAddress']
        self.connection = Gio.DBusConnection.new_for_address_sync(
            address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
            None, None)
        self.connection.set_exit_on_close(False)
        self.connection.connect('closed', lambda *_: self.quit('the bus connection closed'))
        self.connection.register_object(BASE_PATH, self.interfaces.lookup_interface(OM_IFACE), self.on_om_call, None, None)
        self.connection.register_object(SYSROOT_PATH, self.interfaces.lookup_interface(SYSROOT_IFACE),
                                        self.on_sysroot_call, self.on_get_property, None)
        self.connection.register_object(SIM_PATH, self.control.lookup_interface(SIM_IFACE), self.on_sim_call, None, None)
        self.refresh()
        Gio.bus_own_name_on_connection(self.connection, BUS_NAME, Gio.BusNameOwnerFlags.DO_NOT_QUEUE,
                                       lambda *_: self.log(f'owning {BUS_NAME} as {self.connection.get_unique_name()}'),
                                       lambda *_: self.quit(f'lost {BUS_NAME}'))
        with open(os.path.join(self.state_dir, 'rpmostreed.pid'), 'w') as handle:
            handle.write(str(os.getpid()))
        self.update_idle()
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda: self.quit('SIGTERM') or False)
        self.loop.run()

    def quit(self, why):
        self.log(f'exiting: {why}')
        self.loop.quit()

    def restart(self, clear_fault=None):
        """A daemon restart: a new process, so a new unique bus name; transactions die with it."""
        if clear_fault:
            self.sysroot.faults.pop(clear_fault, None)
        self.sysroot.save()
        self.log('restarting')
        self.log_file.flush()
        os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), '--config', self.config_path])

    # -- threads -------------------------------------------------------------------------------

    def on_main(self, fn):
        """Runs fn on the main loop's thread and returns its result (or raises its exception)."""
        if threading.get_ident() == self.main_thread:
            return fn()
        done = threading.Event()
        box = {}

        def run():
            try:
                box['value'] = fn()
            except BaseException as error:  # handed back to the calling thread
                box['error'] = error
            done.set()
            return False
        GLib.idle_add(run)
        if not done.wait(60):
            raise TxError('the daemon did not respond')
        if 'error' in box:
            raise box['error']
        return box.get('value')

    def commit(self, fn):
        """Changes the sysroot on the main thread, persists it, and publishes the new properties."""
        def apply():
            result = fn()
            self.sysroot.save()
            self.refresh()
            return result
        return self.on_main(apply)

    # -- properties ----------------------------------------------------------------------------

    def set_props(self, path, iface, values):
        current = self.props.setdefault((path, iface), {})
        changed = {k: v for k, v in values.items() if k not in current or not current[k].equal(v)}
        current.update(values)
        if changed and self.connection is not None:
            self.last_change_at = time.time()
            self.connection.emit_signal(None, path, 'org.freedesktop.DBus.Properties', 'PropertiesChanged',
                                        GLib.Variant('(sa{sv}as)', (iface, changed, [])))

    def active_transaction(self):
        t = self.transaction
        if t is None:
            return GLib.Variant('(sss)', ('', '', '')), GLib.Variant('s', '')
        return GLib.Variant('(sss)', (t.method, t.sender, t.os_path)), GLib.Variant('s', t.address)

    def refresh(self):
        """Recomputes every property from the sysroot, like rpm-ostreed's reload."""
        sysroot = self.sysroot
        booted = sysroot.booted
        booted_id = sysroot.booted_id
        active, active_path = self.active_transaction()
        self.set_props(SYSROOT_PATH, SYSROOT_IFACE, {
            'Booted': GLib.Variant('o', os_object_path(booted.osname) if booted else '/'),
            'Path': GLib.Variant('s', '/'),
            'ActiveTransaction': active,
            'ActiveTransactionPath': active_path,
            'AutomaticUpdatePolicy': GLib.Variant('s', sysroot.policy),
            'Deployments': GLib.Variant.new_array(GLib.VariantType.new('a{sv}'),
                                                  [d.variant(booted_id) for d in sysroot.deployments]),
        })
        names = sysroot.osnames()
        for osname in names:
            path = os_object_path(osname)
            pending, rollback = sysroot.query(osname)
            default = sysroot.default_for(osname)
            is_booted = booted is not None and booted.osname == osname
            update, has_update = sysroot.cached_update_variant(osname)
            empty = GLib.Variant('a{sv}', {})
            values = {
                'Name': GLib.Variant('s', osname),
                'BootedDeployment': booted.variant(booted_id) if is_booted else empty,
                'DefaultDeployment': default.variant(booted_id) if default else empty,
                'RollbackDeployment': rollback.variant(booted_id) if rollback else empty,
                'CachedUpdate': update,
                'HasCachedUpdateRpmDiff': GLib.Variant('b', has_update),
            }
            if path not in self.os_registrations:
                self.props[(path, OS_IFACE)] = dict(values)
                self.os_registrations[path] = self.connection.register_object(
                    path, self.interfaces.lookup_interface(OS_IFACE), self.on_os_call, self.on_get_property, None)
                self.connection.emit_signal(None, BASE_PATH, OM_IFACE, 'InterfacesAdded',
                                            GLib.Variant('(oa{sa{sv}})', (path, {OS_IFACE: values})))
            else:
                self.set_props(path, OS_IFACE, values)
        for path in [p for p in self.os_registrations if p not in {os_object_path(n) for n in names}]:
            self.connection.unregister_object(self.os_registrations.pop(path))
            self.props.pop((path, OS_IFACE), None)
            self.connection.emit_signal(None, BASE_PATH, OM_IFACE, 'InterfacesRemoved',
                                        GLib.Variant('(oas)', (path, [OS_IFACE])))

    def on_get_property(self, _connection, _sender, path, iface, name):
        return self.props.get((path, iface), {}).get(name)

    def on_om_call(self, _connection, _sender, _path, _iface, method, _params, invocation):
        if method == 'GetManagedObjects':
            objects = {}
            for (path, iface), values in self.props.items():
                objects.setdefault(path, {})[iface] = values
            invocation.return_value(GLib.Variant('(a{oa{sa{sv}}})', (objects,)))

    # -- clients and idle exit ------------------------------------------------------------------

    def add_client(self, sender, client_id):
        if sender in self.clients:
            self.clients[sender]['id'] = client_id
        else:
            watch = Gio.bus_watch_name_on_connection(self.connection, sender, Gio.BusNameWatcherFlags.NONE, None,
                                                     lambda _c, name: self.remove_client(name))
            self.clients[sender] = {'id': client_id, 'watch': watch}
        self.log(f'client {sender} registered as {client_id}')
        self.update_idle()

    def remove_client(self, sender):
        client = self.clients.pop(sender, None)
        if client is not None:
            Gio.bus_unwatch_name(client['watch'])
            self.log(f'client {sender} gone')
        self.update_idle()

    def describe_client(self, sender):
        client = self.clients.get(sender)
        if client is None:
            return f'caller {sender}'
        parts = [f'id:{client["id"]}'] if client['id'] else []
        parts.append(f'dbus:{sender}')
        parts.append(f'uid:{os.getuid()}')
        return f'client({" ".join(parts)})'

    def update_idle(self):
        """rpm-ostreed exits after a quiet spell with no registered client and no transaction."""
        if self.idle_timer:
            GLib.source_remove(self.idle_timer)
            self.idle_timer = 0
        if self.clients or self.transaction is not None:
            return
        seconds = self.sysroot.faults.get('idle-exit-seconds', self.config.get('idleExitSeconds', 60))
        if seconds and seconds > 0:
            jitter = random.uniform(0, min(4.0, seconds / 10))
            self.idle_timer = GLib.timeout_add(int((seconds + jitter) * 1000), self.on_idle)

    def on_idle(self):
        self.idle_timer = 0
        self.quit('idle, no registered clients')
        return False

    # -- Sysroot -------------------------------------------------------------------------------

    def denied(self, iface_word, method, invocation):
        if method in self.sysroot.faults.get('deny', []):
            invocation.return_error_literal(Gio.dbus_error_quark(), Gio.DBusError.ACCESS_DENIED,
                                            f'rpmostreed {iface_word} operation {method} not allowed for user')
            return True
        return False

    def on_sysroot_call(self, _connection, sender, _path, _iface, method, params, invocation):
        if method in ('RegisterClient', 'UnregisterClient', 'ReloadConfig') and self.denied('Sysroot', method, invocation):
            return
        if method == 'RegisterClient':
            options = params.unpack()[0]
            self.add_client(sender, options.get('id'))
            invocation.return_value(None)
        elif method == 'UnregisterClient':
            self.remove_client(sender)
            invocation.return_value(None)
        elif method in ('Reload', 'ReloadConfig'):
            # rpm-ostreed defers this to a low-priority idle so pending notifications are handled first.
            def reload():
                self.refresh()
                invocation.return_value(None)
                return False
            GLib.idle_add(reload, priority=GLib.PRIORITY_LOW)
        elif method == 'GetOS':
            name = params.unpack()[0]
            booted = self.sysroot.booted
            if name == '':
                invocation.return_value(GLib.Variant('(o)', (os_object_path(booted.osname) if booted else '/',)))
            elif name in self.sysroot.osnames():
                invocation.return_value(GLib.Variant('(o)', (os_object_path(name),)))
            else:
                invocation.return_error_literal(Gio.io_error_quark(), G_IO_ERROR_NOT_FOUND, f'OS name "{name}" not found')

    # -- OS ------------------------------------------------------------------------------------

    def on_os_call(self, _connection, sender, path, _iface, method, params, invocation):
        if self.denied('OS', method, invocation):
            return
        osname = next((n for n in self.sysroot.osnames() if os_object_path(n) == path), None)
        args = params.unpack()
        try:
            if method == 'GetDeploymentsRpmDiff':
                # Not a transaction: answered at once, even while one runs.
                invocation.return_value(self.deployments_rpm_diff(*args))
                return
            if method == 'AutomaticUpdateTrigger':
                self.automatic_update_trigger(sender, path, osname, params, args[0], invocation)
                return
            if self.join_or_refuse(method, params, invocation):
                return
            if method == 'Upgrade':
                self.start_deploy(sender, path, method, params, DeployRequest(method, osname, args[0]), invocation)
            elif method == 'Rebase':
                options, refspec, _packages = args
                request = DeployRequest(method, osname, options, refspec=refspec, revision=options.get('revision'))
                self.start_deploy(sender, path, method, params, request, invocation)
            elif method == 'Deploy':
                revision, options = args
                request = DeployRequest(method, osname, options, revision=revision or None)
                self.start_deploy(sender, path, method, params, request, invocation)
            elif method == 'UpdateDeployment':
                modifiers, options = args
                unsupported = [k for k in modifiers if k not in ('set-refspec', 'set-revision')]
                if unsupported:
                    raise TxError(f'The test world cannot apply {", ".join(unsupported)}')
                request = DeployRequest(method, osname, options, refspec=modifiers.get('set-refspec'),
                                        revision=modifiers.get('set-revision'))
                self.start_deploy(sender, path, method, params, request, invocation)
            elif method == 'Rollback':
                reboot = args[0].get('reboot', False)
                self.start_transaction(sender, path, method, params, 'rollback', False,
                                       lambda tx: run_rollback(tx, self, osname, reboot), invocation)
            elif method == 'Cleanup':
                elements = args[0]
                for element in elements:
                    if element not in CLEANUP_ELEMENTS:
                        raise TxError(f'Invalid cleanup type: {element}')
                self.start_transaction(sender, path, method, params, 'cleanup', False,
                                       lambda tx: run_cleanup(tx, self, osname, elements), invocation)
            elif method == 'FinalizeDeployment':
                options = args[0]
                title = options.get('initiating-command-line') or 'finalize-deployment'
                self.start_transaction(sender, path, method, params, title, False,
                                       lambda tx: run_finalize(tx, self, osname, options), invocation)
        except TxError as error:
            invocation.return_error_literal(Gio.io_error_quark(), G_IO_ERROR_FAILED, str(error))

    def deployments_rpm_diff(self, id0, id1):
        """GetDeploymentsRpmDiff: the two deployments' rpm databases compared, whatever OS object was
        called (rpm-ostree looks the ids up in the whole sysroot)."""
        checksums = []
        for deploy_id in (id0, id1):
            if not deploy_id:
                raise TxError('empty deployment ID')
            found = next((d for d in self.sysroot.deployments if d.id == deploy_id), None)
            if found is None:
                raise TxError(f"Deployment with id '{deploy_id}' not found")
            checksums.append(found.checksum)
        try:
            text = diff_variant_text(diff(self.rpmdbs.packages(checksums[0]), self.rpmdbs.packages(checksums[1])))
        except RpmdbError as error:
            raise TxError(f'Failed to load package list: {error}') from None
        return GLib.Variant.parse(GLib.VariantType.new('(a(sua{sv}))'), text, None, None)

    def join_or_refuse(self, method, params, invocation, reply=None):
        """rpm-ostreed's prep_for_txn: no new work while rebooting; identical calls join."""
        if self.sysroot.rebooting:
            raise TxError('Reboot initiated, cannot start new transaction')
        current = self.transaction
        if current is None:
            return False
        if current.method == method and current.parameters.equal(params):
            self.log('Client joining existing transaction')
            invocation.return_value(reply(current.address) if reply else GLib.Variant('(s)', (current.address,)))
            return True
        invocation.return_error_literal(
            Gio.io_error_quark(), G_IO_ERROR_BUSY,
            f'Transaction in progress: {current.title}\n You can cancel the current transaction with `rpm-ostree cancel`')
        return True

    def automatic_update_trigger(self, sender, path, osname, params, options, invocation, internal=False):
        booted = self.sysroot.booted
        if booted is None or booted.osname != osname:
            raise TxError(f"Cannot trigger auto-update for offline OS '{osname}'")
        mode = options.get('mode', 'auto')
        policy = self.sysroot.policy if mode == 'auto' else mode
        if policy not in POLICIES:
            raise TxError(f'Invalid automatic update policy: {mode}')
        if policy == 'none':
            if invocation:
                invocation.return_value(GLib.Variant('(bs)', (False, '')))
            return None
        if invocation and self.join_or_refuse('AutomaticUpdateTrigger', params, invocation,
                                              reply=lambda a: GLib.Variant('(bs)', (True, a))):
            return None
        effective = dict(options)
        effective.setdefault('output-to-self', True)
        if policy == 'apply':
            effective['reboot'] = True
        request = DeployRequest('AutomaticUpdateTrigger', osname, effective, metadata_only=policy == 'check')
        return self.start_transaction(sender, path, 'AutomaticUpdateTrigger', params, 'new-deployment',
                                      effective['output-to-self'], lambda tx: run_deploy(tx, self, request),
                                      invocation, reply=lambda a: GLib.Variant('(bs)', (True, a)), internal=internal)

    def start_deploy(self, sender, path, method, params, request, invocation):
        self.start_transaction(sender, path, method, params, 'new-deployment', request.options.get('output-to-self', False),
                               lambda tx: run_deploy(tx, self, request), invocation)

    def start_transaction(self, sender, path, method, params, title, output_to_self, body, invocation, reply=None,
                          internal=False):
        tx = Transaction(self, method, params, sender, path, title, output_to_self, body,
                         self.describe_client(sender))
        tx.open(watch_sender=not internal)
        self.transaction = tx
        self.update_idle()
        self.refresh()
        if invocation:
            invocation.return_value(reply(tx.address) if reply else GLib.Variant('(s)', (tx.address,)))
        if internal:
            tx.start()
        return tx

    def finish_transaction(self, tx):
        if self.transaction is tx:
            self.transaction = None
            self.refresh()
            self.update_idle()

    # -- test control ----------------------------------------------------------------------------

    def on_sim_call(self, _connection, _sender, _path, _iface, method, params, invocation):
        args = params.unpack()
        try:
            if method == 'SetFaults':
                self.sysroot.faults.update(args[0])
                self.sysroot.save()
                self.update_idle()
                invocation.return_value(None)
            elif method == 'ClearFaults':
                self.sysroot.faults = {}
                self.sysroot.save()
                self.update_idle()
                invocation.return_value(None)
            elif method == 'Release':
                if self.transaction is not None:
                    self.transaction.released.set()
                invocation.return_value(None)
            elif method == 'SimulateReboot':
                self.sysroot.reboot(args[0])
                self.sysroot.save()
                invocation.return_value(None)
                # The machine comes back with a fresh daemon: a new process and unique name.
                GLib.timeout_add(50, lambda: self.restart() or False)
            elif method == 'SetAutomaticUpdatePolicy':
                if args[0] not in POLICIES:
                    raise TxError(f'Invalid automatic update policy: {args[0]}')
                self.sysroot.policy = args[0]
                self.sysroot.save()
                self.refresh()
                invocation.return_value(None)
            elif method == 'TriggerAutomaticUpdate':
                booted = self.sysroot.booted
                osname = booted.osname if booted else ''
                if self.sysroot.rebooting or self.transaction is not None:
                    raise TxError('Transaction in progress')
                options = {'mode': args[0], 'initiating-command-line':
                           'rpm-ostree upgrade --quiet --trigger-automatic-update-policy'}
                variant = GLib.Variant('(a{sv})', ({'mode': GLib.Variant('s', args[0])},))
                tx = self.automatic_update_trigger(self.connection.get_unique_name(), os_object_path(osname), osname,
                                                   variant, options, None, internal=True)
                invocation.return_value(GLib.Variant('(bs)', (tx is not None, tx.address if tx else '')))
            elif method == 'SetPinned':
                index, pinned = args
                if index >= len(self.sysroot.deployments) or self.sysroot.deployments[index].staged:
                    raise TxError(f'Cannot pin deployment {index}')
                self.sysroot.deployments[index].pinned = pinned
                self.sysroot.save()
                self.refresh()
                invocation.return_value(None)
            elif method == 'Restart':
                invocation.return_value(None)
                GLib.timeout_add(50, lambda: self.restart() or False)
            elif method == 'Dump':
                state = self.sysroot.dump()
                state['uniqueName'] = self.connection.get_unique_name()
                state['pid'] = os.getpid()
                state['lastPropertiesChangedAt'] = self.last_change_at
                state['clients'] = [{'name': n, 'id': c['id']} for n, c in self.clients.items()]
                t = self.transaction
                state['transaction'] = None if t is None else {
                    'method': t.method, 'sender': t.sender, 'address': t.address, 'title': t.title,
                    'started': t.started, 'finished': t.finished_params is not None, 'held': t.held,
                    'peers': len(t.connections), 'client': t.client_description,
                }
                invocation.return_value(GLib.Variant('(s)', (json.dumps(state),)))
        except (TxError, PullError) as error:
            invocation.return_error_literal(Gio.io_error_quark(), G_IO_ERROR_FAILED, str(error))


def main():
    parser = argparse.ArgumentParser(description='rpm-ostreed stand-in for the Vespera Updates test world')
    parser.add_argument('--config', required=True)
    args = parser.parse_args()
    daemon = Daemon(args.config)
    try:
        daemon.run()
    except Exception:
        daemon.log(f'fatal: {traceback.format_exc()}')
        raise


if __name__ == '__main__':
    main()
