#!/usr/bin/python3
# A stand-in for systemd-logind's Reboot on the test world's system bus: the request is recorded in a
# JSON-lines file (who asked, interactive or not), never performed.

import argparse
import json
import signal
import time

import gi

gi.require_version('Gio', '2.0')
from gi.repository import Gio, GLib  # noqa: E402

BUS_NAME = 'org.freedesktop.login1'
PATH = '/org/freedesktop/login1'
XML = '''
<node>
  <interface name="org.freedesktop.login1.Manager">
    <method name="Reboot">
      <arg name="interactive" type="b" direction="in"/>
    </method>
    <method name="CanReboot">
      <arg name="result" type="s" direction="out"/>
    </method>
  </interface>
</node>
'''


def main():
    parser = argparse.ArgumentParser(description='logind Reboot recorder for the Vespera Updates test world')
    parser.add_argument('--bus', required=True)
    parser.add_argument('--record', required=True)
    args = parser.parse_args()
    info = Gio.DBusNodeInfo.new_for_xml(XML)
    loop = GLib.MainLoop()
    connection = Gio.DBusConnection.new_for_address_sync(
        args.bus, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
        None, None)
    connection.set_exit_on_close(False)
    connection.connect('closed', lambda *_: loop.quit())

    def on_call(_connection, sender, _path, _iface, method, params, invocation):
        if method == 'Reboot':
            entry = {'source': 'logind', 'caller': sender, 'interactive': params.unpack()[0], 'time': time.time()}
            with open(args.record, 'a') as handle:
                handle.write(json.dumps(entry) + '\n')
            invocation.return_value(None)
        elif method == 'CanReboot':
            invocation.return_value(GLib.Variant('(s)', ('yes',)))

    connection.register_object(PATH, info.interfaces[0], on_call, None, None)

    def acquired(*_):
        print('ready', flush=True)

    Gio.bus_own_name_on_connection(connection, BUS_NAME, Gio.BusNameOwnerFlags.DO_NOT_QUEUE, acquired,
                                   lambda *_: loop.quit())
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda: loop.quit() or False)
    loop.run()


if __name__ == '__main__':
    main()
