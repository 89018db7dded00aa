// The world's two private message buses: a system bus with a system-like policy (services own names
// only as root, callers may only reach what a service's policy file allows) and an open session bus.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnManaged, type ManagedProcess } from './processes.ts';

export interface Bus {
  readonly kind: 'system' | 'session';
  readonly address: string;
  /** Folder read for per-service policy files (`<service>.conf`), like /usr/share/dbus-1/system.d. */
  readonly policyDir: string;
  readonly process: ManagedProcess;
}

const DOCTYPE =
  '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"\n "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">';

function systemConfig(socket: string, policyDir: string): string {
  return `${DOCTYPE}
<busconfig>
  <type>system</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Peer"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus" send_member="UpdateActivationEnvironment"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.systemd1.Activator"/>
  </policy>
  <includedir>${policyDir}</includedir>
  <limit name="max_incoming_bytes">133169152</limit>
  <limit name="max_message_size">33554432</limit>
</busconfig>
`;
}

function sessionConfig(socket: string, policyDir: string): string {
  return `${DOCTYPE}
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <includedir>${policyDir}</includedir>
</busconfig>
`;
}

export async function startBus(kind: Bus['kind'], dir: string): Promise<Bus> {
  const policyDir = join(dir, `${kind}.d`);
  await mkdir(policyDir, { recursive: true });
  const socket = join(dir, `${kind}_bus_socket`);
  const configPath = join(dir, `${kind}.conf`);
  await writeFile(configPath, kind === 'system' ? systemConfig(socket, policyDir) : sessionConfig(socket, policyDir));
  const { process, readyLine } = await spawnManaged(
    `dbus-daemon (${kind})`,
    'dbus-daemon',
    [`--config-file=${configPath}`, '--nofork', '--nopidfile', '--print-address=1', '--nosyslog'],
    { readyLine: (line) => line.startsWith('unix:') },
  );
  // dbus-daemon appends a guid; clients connect by path alone.
  const address = (readyLine ?? '').split(',')[0] ?? '';
  return { kind, address, policyDir, process };
}
