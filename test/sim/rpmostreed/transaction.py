# One rpm-ostreed transaction: its peer-to-peer D-Bus server (object at "/"), Start/Cancel, the
# progress signals, Finished (re-sent on a late Start), cancel-on-vanish before Start, forced close.

import os
import threading
import traceback

from gi.repository import Gio, GLib

IFACE = 'org.projectatomic.rpmostree1.Transaction'
FORCE_CLOSE_SECONDS = 30
OUTPUT_SIGNALS = ('Message', 'TaskBegin', 'TaskEnd', 'PercentProgress', 'ProgressEnd')


class TxError(Exception):
    """A failure inside a transaction; the message becomes Finished's error text."""


class Cancelled(TxError):
    def __init__(self):
        super().__init__('Operation was cancelled')


class Restarting(Exception):
    """The daemon is going away under the transaction (fault knob)."""


class Transaction:
    def __init__(self, daemon, method, parameters, sender, os_path, title, output_to_self, body,
                 client_description):
        self.daemon = daemon
        self.method = method
        self.parameters = parameters
        self.sender = sender
        self.os_path = os_path
        self.title = title
        self.output_to_self = output_to_self
        self.body = body
        self.client_description = client_description
        self.connections = []
        self.lock = threading.Lock()
        self.cancelled = threading.Event()
        self.released = threading.Event()
        self.started = False
        self.finished_params = None
        self.closed = False
        self.watch_id = 0
        self.force_close_id = 0
        self.server = None
        self.address = None
        self.held = False
        self.log = daemon.log

    # -- lifecycle (main thread) -------------------------------------------------------------

    def open(self, watch_sender=True):
        path = os.path.join(self.daemon.run_dir, 'rpm-ostree-transaction.sock')
        # One fixed socket path, as rpm-ostree has used since it stopped using random tmpdir names.
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        self.server = Gio.DBusServer.new_sync(f'unix:path={path}', Gio.DBusServerFlags.NONE,
                                              Gio.dbus_generate_guid(), None, None)
        self.server.connect('new-connection', self._on_new_connection)
        self.server.start()
        self.address = self.server.get_client_address()
        if watch_sender and self.sender:
            self.watch_id = Gio.bus_watch_name_on_connection(
                self.daemon.connection, self.sender, Gio.BusNameWatcherFlags.NONE, None, self._on_sender_vanished)
        self.log(f'txn {self.method} created at {self.address} for {self.client_description}')

    def _on_new_connection(self, _server, connection):
        # The server does not keep the connection; without this reference it would close at once.
        node = self.daemon.interfaces
        connection.register_object('/', node.lookup_interface(IFACE), self._on_call, self._on_get, None)
        connection.connect('closed', self._on_connection_closed)
        with self.lock:
            self.connections.append(connection)
        credentials = connection.get_peer_credentials()
        self.log(f'txn peer connected ({credentials.to_string() if credentials else "no credentials"})')
        return True

    def _on_connection_closed(self, connection, _vanished, _error):
        with self.lock:
            if connection in self.connections:
                self.connections.remove(connection)
        self.log('txn peer disconnected')
        self._maybe_close()

    def _on_sender_vanished(self, _connection, name):
        if self.watch_id:
            Gio.bus_unwatch_name(self.watch_id)
            self.watch_id = 0
            self.log(f'client {name} disconnected before calling Start; cancelling transaction')
            self._close()

    def _on_get(self, _connection, _sender, _path, _iface, name):
        if name == 'Title':
            return GLib.Variant('s', self.title)
        if name == 'InitiatingClientDescription':
            return GLib.Variant('s', self.client_description)
        return None

    def _on_call(self, connection, _sender, _path, _iface, method, _params, invocation):
        if method == 'Start':
            started = self.start()
            invocation.return_value(GLib.Variant('(b)', (started,)))
            if self.finished_params is not None:
                connection.emit_signal(None, '/', IFACE, 'Finished', GLib.Variant('(bs)', self.finished_params))
        elif method == 'Cancel':
            self.log('txn cancelled by a peer')
            self.cancelled.set()
            self.released.set()
            invocation.return_value(None)

    def start(self):
        """Starts the work once; later calls only attach. The sender watch doubles as "not started"."""
        if not self.watch_id and (self.started or self.closed):
            return False
        if self.watch_id:
            Gio.bus_unwatch_name(self.watch_id)
            self.watch_id = 0
        self.started = True
        threading.Thread(target=self._execute, name=f'txn-{self.method}', daemon=True).start()
        return True

    def _execute(self):
        success, message = True, ''
        try:
            self.body(self)
        except Restarting:
            return
        except TxError as error:
            success, message = False, str(error)
        except Exception as error:  # a bug in the stand-in must still end the transaction
            self.log(traceback.format_exc())
            success, message = False, f'{type(error).__name__}: {error}'
        GLib.idle_add(self._finish, success, message)

    def _finish(self, success, message):
        self.log(f'txn {self.method} finished: success={success} {message}')
        # Like rpm-ostreed: the sysroot is reloaded (properties updated) before Finished goes out.
        self.daemon.refresh()
        self.finished_params = (success, message)
        for connection in self._peers():
            connection.emit_signal(None, '/', IFACE, 'Finished', GLib.Variant('(bs)', (success, message)))
        self.force_close_id = GLib.timeout_add_seconds(FORCE_CLOSE_SECONDS, self.force_close)
        self._maybe_close()
        return False

    def _maybe_close(self):
        if self.finished_params is None or self._peers():
            return
        self._close()

    def _close(self):
        if self.closed:
            return
        self.closed = True
        if self.force_close_id:
            GLib.source_remove(self.force_close_id)
            self.force_close_id = 0
        if self.server is not None:
            self.server.stop()
        self.daemon.finish_transaction(self)

    def force_close(self):
        self.force_close_id = 0
        self.log('Forcibly closing transaction due to timeout')
        for connection in self._peers():
            connection.close_sync(None)
        self._close()
        return False

    def _peers(self):
        with self.lock:
            return list(self.connections)

    # -- used by transaction bodies (worker thread) -------------------------------------------

    def emit(self, signal, params=None):
        if self.output_to_self and signal in OUTPUT_SIGNALS:
            self.log(f'txn output ({signal}): {params.unpack() if params else ""}')
            return
        for connection in self._peers():
            try:
                connection.emit_signal(None, '/', IFACE, signal, params)
            except GLib.Error:
                pass  # that peer is going away

    def message(self, text):
        self.emit('Message', GLib.Variant('(s)', (text,)))

    def task_begin(self, text):
        self.emit('TaskBegin', GLib.Variant('(s)', (text,)))

    def task_end(self, text='done'):
        self.emit('TaskEnd', GLib.Variant('(s)', (text,)))

    def percent(self, text, value):
        self.emit('PercentProgress', GLib.Variant('(su)', (text, value)))

    def progress_end(self):
        self.emit('ProgressEnd', None)

    def set_title(self, title):
        self.title = title
        changed = GLib.Variant('(sa{sv}as)', (IFACE, {'Title': GLib.Variant('s', title)}, []))
        for connection in self._peers():
            try:
                connection.emit_signal(None, '/', 'org.freedesktop.DBus.Properties', 'PropertiesChanged', changed)
            except GLib.Error:
                pass

    def check_cancelled(self):
        if self.cancelled.is_set():
            raise Cancelled()

    def checkpoint(self):
        """Where faults act: a held transaction waits here, a restart fault fires here."""
        self.check_cancelled()
        faults = self.daemon.on_main(lambda: dict(self.daemon.sysroot.faults))
        restart = faults.get('restart-in-transaction')
        if restart and restart in (self.method, '*'):
            self.daemon.on_main(lambda: self.daemon.restart(clear_fault='restart-in-transaction'))
            raise Restarting()
        if faults.get('hold-transactions'):
            self.held = True
            self.log(f'txn {self.method} held at checkpoint')
            while not self.released.wait(0.05):
                pass
            self.held = False
        self.check_cancelled()
        delay = faults.get('step-delay-ms')
        if delay:
            self.cancelled.wait(delay / 1000)
            self.check_cancelled()
