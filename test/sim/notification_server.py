#!/usr/bin/python3
# A desktop notification server stand-in: owns org.freedesktop.Notifications on a session bus and
# implements the Desktop Notifications Specification 1.2, plus a test-only control interface.
#
# Written on GLib's D-Bus (Gio), the stack GNOME Shell's and notification-daemon's servers use, and
# a different implementation from the app's dbus-next client, so a marshalling mistake on either
# side shows up instead of cancelling out. Behaviour copied from real servers:
# - ids are handed out from 1 upwards and never reused while the server runs;
# - replaces_id naming a notification that is still showing updates it in place and returns the
#   same id; naming one that is gone (or 0) makes a new notification with a new id;
# - CloseNotification emits NotificationClosed(id, 3); for an id no longer showing it answers with
#   an error, as the spec says;
# - pressing a button emits ActivationToken (when a token is given), then ActionInvoked, then
#   NotificationClosed(id, 2) unless the notification carries the `resident` hint (GNOME Shell);
# - actions are only shown (and so only pressable) when the `actions` capability is advertised;
# - expire_timeout is recorded but never acted on: tests expire a notification explicitly.
#
# Control surface (interface org.vespera.test.NotificationServer on the same object):
#   Record() -> s        JSON {"calls": [...], "showing": [...]}: every call received, in order
#   Press(u id, s key, s activation_token)
#   Dismiss(u id)        the user closed it: NotificationClosed(id, 2)
#   Expire(u id)         it timed out: NotificationClosed(id, 1)

import argparse
import json
import signal
import sys
import time

import gi

gi.require_version('Gio', '2.0')
gi.require_version('GLib', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

BUS_NAME = 'org.freedesktop.Notifications'
OBJECT_PATH = '/org/freedesktop/Notifications'
IFACE = 'org.freedesktop.Notifications'
CONTROL_IFACE = 'org.vespera.test.NotificationServer'

INTROSPECTION = f'''
<node>
  <interface name="{IFACE}">
    <method name="GetCapabilities">
      <arg type="as" name="capabilities" direction="out"/>
    </method>
    <method name="Notify">
      <arg type="s" name="app_name" direction="in"/>
      <arg type="u" name="replaces_id" direction="in"/>
      <arg type="s" name="app_icon" direction="in"/>
      <arg type="s" name="summary" direction="in"/>
      <arg type="s" name="body" direction="in"/>
      <arg type="as" name="actions" direction="in"/>
      <arg type="a{{sv}}" name="hints" direction="in"/>
      <arg type="i" name="expire_timeout" direction="in"/>
      <arg type="u" name="id" direction="out"/>
    </method>
    <method name="CloseNotification">
      <arg type="u" name="id" direction="in"/>
    </method>
    <method name="GetServerInformation">
      <arg type="s" name="name" direction="out"/>
      <arg type="s" name="vendor" direction="out"/>
      <arg type="s" name="version" direction="out"/>
      <arg type="s" name="spec_version" direction="out"/>
    </method>
    <signal name="NotificationClosed">
      <arg type="u" name="id"/>
      <arg type="u" name="reason"/>
    </signal>
    <signal name="ActionInvoked">
      <arg type="u" name="id"/>
      <arg type="s" name="action_key"/>
    </signal>
    <signal name="ActivationToken">
      <arg type="u" name="id"/>
      <arg type="s" name="activation_token"/>
    </signal>
  </interface>
  <interface name="{CONTROL_IFACE}">
    <method name="Record">
      <arg type="s" name="json" direction="out"/>
    </method>
    <method name="Press">
      <arg type="u" name="id" direction="in"/>
      <arg type="s" name="action_key" direction="in"/>
      <arg type="s" name="activation_token" direction="in"/>
    </method>
    <method name="Dismiss">
      <arg type="u" name="id" direction="in"/>
    </method>
    <method name="Expire">
      <arg type="u" name="id" direction="in"/>
    </method>
  </interface>
</node>
'''

REASON_EXPIRED, REASON_DISMISSED, REASON_CLOSED = 1, 2, 3


def hint_to_json(variant):
    """A hint as {type, value}; image data (a byte array struct) is summarised, not dumped."""
    type_string = variant.get_type_string()
    if type_string.startswith('(iiibiiay)') or type_string == 'ay':
        return {'type': type_string, 'value': f'<{variant.n_children()} items>'}
    return {'type': type_string, 'value': variant.unpack()}


class NotificationServer:
    def __init__(self, connection, capabilities, loop):
        self.connection = connection
        self.capabilities = capabilities
        self.loop = loop
        self.next_id = 1
        self.showing = {}  # id -> notification dict
        self.calls = []

    def emit(self, member, signature, *args):
        self.connection.emit_signal(None, OBJECT_PATH, IFACE, member, GLib.Variant(signature, args))

    def record(self, sender, method, **args):
        self.calls.append({'method': method, 'sender': sender, 'at': time.time(), **args})

    def close(self, nid, reason):
        del self.showing[nid]
        self.emit('NotificationClosed', '(uu)', nid, reason)

    # ---- org.freedesktop.Notifications ----

    def notify(self, sender, params):
        app_name, replaces_id, app_icon, summary, body, actions, _hints, expire_timeout = params.unpack()
        hints_variant = params.get_child_value(6)
        hints = {}
        for i in range(hints_variant.n_children()):
            entry = hints_variant.get_child_value(i)
            hints[entry.get_child_value(0).get_string()] = hint_to_json(entry.get_child_value(1).get_variant())
        replaced = replaces_id != 0 and replaces_id in self.showing
        if replaced:
            nid = replaces_id
        else:
            nid = self.next_id
            self.next_id += 1
        # Actions come as a flat key, label, key, label list; a dangling key is ignored, as servers do.
        pairs = [{'key': actions[i], 'label': actions[i + 1]} for i in range(0, len(actions) - 1, 2)]
        notification = {
            'id': nid,
            'appName': app_name,
            'replacesId': replaces_id,
            'replaced': replaced,
            'appIcon': app_icon,
            'summary': summary,
            'body': body,
            'actions': pairs if 'actions' in self.capabilities else [],
            'hints': hints,
            'expireTimeout': expire_timeout,
            'sender': sender,
        }
        self.showing[nid] = notification
        self.record(sender, 'Notify', notification=notification, sentActions=pairs)
        return GLib.Variant('(u)', (nid,))

    def close_notification(self, sender, params, invocation):
        (nid,) = params.unpack()
        self.record(sender, 'CloseNotification', id=nid)
        if nid not in self.showing:
            invocation.return_dbus_error(f'{IFACE}.Error.NotFound', f'no notification {nid} is showing')
            return
        invocation.return_value(None)
        self.close(nid, REASON_CLOSED)

    # ---- control ----

    def press(self, params, invocation):
        nid, key, token = params.unpack()
        notification = self.showing.get(nid)
        if notification is None:
            invocation.return_dbus_error(f'{CONTROL_IFACE}.Error.NotShowing', f'no notification {nid} is showing')
            return
        if key not in [a['key'] for a in notification['actions']]:
            invocation.return_dbus_error(
                f'{CONTROL_IFACE}.Error.NoSuchAction',
                f'notification {nid} shows no action "{key}" (it shows: {[a["key"] for a in notification["actions"]]})',
            )
            return
        invocation.return_value(None)
        if token:
            self.emit('ActivationToken', '(us)', nid, token)
        self.emit('ActionInvoked', '(us)', nid, key)
        resident = notification['hints'].get('resident', {}).get('value') is True
        if not resident:
            self.close(nid, REASON_DISMISSED)

    def close_by_user(self, params, invocation, reason):
        (nid,) = params.unpack()
        if nid not in self.showing:
            invocation.return_dbus_error(f'{CONTROL_IFACE}.Error.NotShowing', f'no notification {nid} is showing')
            return
        invocation.return_value(None)
        self.close(nid, reason)

    def handle(self, _connection, sender, _path, interface, method, params, invocation):
        if interface == IFACE:
            if method == 'GetCapabilities':
                self.record(sender, method)
                invocation.return_value(GLib.Variant('(as)', (self.capabilities,)))
            elif method == 'GetServerInformation':
                self.record(sender, method)
                invocation.return_value(GLib.Variant('(ssss)', ('vespera-test-notifications', 'Vespera', '1.0', '1.2')))
            elif method == 'Notify':
                invocation.return_value(self.notify(sender, params))
            elif method == 'CloseNotification':
                self.close_notification(sender, params, invocation)
            return
        if method == 'Record':
            payload = json.dumps({'calls': self.calls, 'showing': list(self.showing.values())}, default=str)
            invocation.return_value(GLib.Variant('(s)', (payload,)))
        elif method == 'Press':
            self.press(params, invocation)
        elif method == 'Dismiss':
            self.close_by_user(params, invocation, REASON_DISMISSED)
        elif method == 'Expire':
            self.close_by_user(params, invocation, REASON_EXPIRED)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--address', required=True, help='the session bus address')
    parser.add_argument('--capabilities', default='actions,body,body-markup,persistence',
                        help='comma-separated capabilities to advertise')
    args = parser.parse_args()
    capabilities = [c for c in args.capabilities.split(',') if c]

    loop = GLib.MainLoop()
    flags = Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION
    connection = Gio.DBusConnection.new_for_address_sync(args.address, flags, None, None)
    connection.set_exit_on_close(False)
    connection.connect('closed', lambda *_: loop.quit())
    server = NotificationServer(connection, capabilities, loop)
    node = Gio.DBusNodeInfo.new_for_xml(INTROSPECTION)
    for interface in node.interfaces:
        connection.register_object(OBJECT_PATH, interface, server.handle, None, None)

    status = {'code': 0}

    def acquired(_connection, _name):
        print(f'ready {connection.get_unique_name()}', flush=True)

    def lost(_connection, _name):
        print(f'lost the name {BUS_NAME}: another notification server owns it', file=sys.stderr, flush=True)
        status['code'] = 1
        loop.quit()

    Gio.bus_own_name_on_connection(connection, BUS_NAME, Gio.BusNameOwnerFlags.DO_NOT_QUEUE, acquired, lost)
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    loop.run()
    return status['code']


if __name__ == '__main__':
    sys.exit(main())
