// What each catalog build has installed: believable Fedora 42 package lists that move a few packages
// per release (kernel, mesa, NVIDIA, …), written into the image as the file its rpm database stands for.

import type { Release, Variant } from './catalog.ts';
import { CURRENT, NEWER } from './catalog.ts';

/** One installed package as `rpm -qa --qf '%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}'` prints it. */
export interface RpmPackage {
  readonly name: string;
  /** `(none)` as rpm prints a missing epoch, else a number. */
  readonly epoch: string;
  readonly version: string;
  readonly release: string;
  readonly arch: string;
}

/**
 * Where the world's images carry their package list: next to where Fedora keeps rpmdb.sqlite, which
 * the rpm-ostreed stand-in cannot open without rpm. It stands for the rpm database of the image.
 */
export const RPMDB_PATH = 'usr/lib/sysimage/rpm/rpmdb.tsv';

/** The file an image carries at RPMDB_PATH: a header line, then one package per line, sorted. */
export function rpmdbText(packages: readonly RpmPackage[]): string {
  const lines = [...packages]
    .sort((a, b) => (a.name === b.name ? compareBytes(a.arch, b.arch) : compareBytes(a.name, b.name)))
    .map((p) => [p.name, p.epoch, p.version, p.release, p.arch].join('\t'));
  return `# NAME\tEPOCH\tVERSION\tRELEASE\tARCH (stands for rpmdb.sqlite)\n${lines.join('\n')}\n`;
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `name version-release [arch]` per line; arch defaults to x86_64; `E:` before the version sets an epoch. */
function parseList(text: string): RpmPackage[] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [name = '', evr = '', arch = 'x86_64'] = line.split(/\s+/);
      const colon = evr.indexOf(':');
      const epoch = colon === -1 ? '(none)' : evr.slice(0, colon);
      const vr = colon === -1 ? evr : evr.slice(colon + 1);
      const dash = vr.lastIndexOf('-');
      return { name, epoch, version: vr.slice(0, dash), release: vr.slice(dash + 1), arch };
    });
}

/** What every Vespera build has and no release changes (a trimmed Fedora 42 Silverblue). */
const BASE = parseList(`
  NetworkManager 1:1.52.1-1.fc42
  NetworkManager-libnm 1:1.52.1-1.fc42
  NetworkManager-wifi 1:1.52.1-1.fc42
  adwaita-icon-theme 48.1-1.fc42 noarch
  alsa-lib 1.2.14-3.fc42
  audit-libs 4.1.1-1.fc42
  avahi-libs 0.9~rc2-2.fc42
  basesystem 11-22.fc42 noarch
  bash 5.2.37-1.fc42
  bluez 5.83-2.fc42
  bolt 0.9.9-2.fc42
  bootc 1.8.0-1.fc42
  bubblewrap 0.11.0-1.fc42
  bzip2-libs 1.0.8-20.fc42
  ca-certificates 2025.2.80_v9.0.304-1.0.fc42 noarch
  cairo 1.18.2-3.fc42
  colord 1.4.7-6.fc42
  composefs 1.0.8-2.fc42
  containers-common 5:0.64.0-1.fc42 noarch
  coreutils 9.6-6.fc42
  coreutils-common 9.6-6.fc42
  cpio 2.15-4.fc42
  cracklib 2.9.11-7.fc42
  cryptsetup-libs 2.7.5-2.fc42
  cups-libs 1:2.5.4-1.fc42
  cyrus-sasl-lib 2.1.28-30.fc42
  dbus 1:1.16.0-3.fc42
  dbus-broker 36-6.fc42
  dbus-libs 1:1.16.0-3.fc42
  dconf 0.40.0-15.fc42
  desktop-file-utils 0.28-1.fc42
  device-mapper 1.02.204-1.fc42
  device-mapper-libs 1.02.204-1.fc42
  diffutils 3.12-1.fc42
  dnsmasq 2.90-6.fc42
  dosfstools 4.2-14.fc42
  dracut 107-4.fc42
  e2fsprogs 1.47.2-3.fc42
  e2fsprogs-libs 1.47.2-3.fc42
  efibootmgr 18-10.fc42
  elfutils-libelf 0.193-2.fc42
  elfutils-libs 0.193-2.fc42
  expat 2.7.1-1.fc42
  file 5.46-3.fc42
  file-libs 5.46-3.fc42
  filesystem 3.18-42.fc42
  findutils 1:4.10.0-5.fc42
  flatpak 1.16.1-1.fc42
  flatpak-libs 1.16.1-1.fc42
  fontconfig 2.16.0-2.fc42
  freetype 2.13.3-2.fc42
  fuse 2.9.9-23.fc42
  fuse-overlayfs 1.14-3.fc42
  fwupd 2.0.13-1.fc42
  gawk 5.3.1-1.fc42
  gdbm 1:1.23-9.fc42
  gdk-pixbuf2 2.42.12-10.fc42
  gdm 1:48.0-3.fc42
  glib-networking 2.80.1-1.fc42
  glib2 2.84.4-1.fc42
  glibc 2.41-11.fc42
  glibc-common 2.41-11.fc42
  glibc-langpack-en 2.41-11.fc42
  gmp 1:6.3.0-4.fc42
  gnome-control-center 48.4-1.fc42
  gnome-desktop3 44.3-1.fc42
  gnome-keyring 1:48.0-1.fc42
  gnome-session 48.0-2.fc42
  gnome-settings-daemon 48.1-1.fc42
  gnome-software 48.4-1.fc42
  gnupg2 2.4.8-1.fc42
  gnutls 3.8.10-1.fc42
  gobject-introspection 1.84.0-1.fc42
  grep 3.11-10.fc42
  grub2-common 1:2.12-32.fc42 noarch
  grub2-efi-x64 1:2.12-32.fc42
  gsettings-desktop-schemas 48.0-3.fc42
  gstreamer1 1.26.5-1.fc42
  gstreamer1-plugins-base 1.26.5-1.fc42
  gtk3 3.24.49-2.fc42
  gtk4 4.18.6-1.fc42
  gvfs 1.57.2-2.fc42
  gzip 1.13-3.fc42
  harfbuzz 10.4.0-1.fc42
  hostname 3.25-2.fc42
  hwdata 0.399-1.fc42 noarch
  ibus 1.5.32-5.fc42
  iproute 6.12.0-3.fc42
  iptables-libs 1.8.11-5.fc42
  json-c 0.18-2.fc42
  json-glib 1.10.6-2.fc42
  kbd 2.7.1-1.fc42
  keyutils-libs 1.6.3-5.fc42
  kmod 34.2-1.fc42
  kmod-libs 34.2-1.fc42
  krb5-libs 1.21.3-6.fc42
  lcms2 2.16-5.fc42
  less 679-1.fc42
  libX11 1.8.12-1.fc42
  libXext 1.3.6-3.fc42
  libacl 2.3.2-3.fc42
  libarchive 3.8.1-1.fc42
  libattr 2.5.2-5.fc42
  libblkid 2.40.4-7.fc42
  libcap 2.73-2.fc42
  libdrm 2.4.125-1.fc42
  libedit 3.1-55.20250104cvs.fc42
  libevdev 1.13.4-2.fc42
  libffi 3.4.6-5.fc42
  libfido2 1.15.0-3.fc42
  libgcc 15.2.1-1.fc42
  libgcrypt 1.11.1-1.fc42
  libglvnd 1:1.7.0-7.fc42
  libgpg-error 1.55-1.fc42
  libgudev 238-7.fc42
  libgusb 0.4.9-3.fc42
  libidn2 2.3.8-1.fc42
  libinput 1.28.1-1.fc42
  libjpeg-turbo 3.1.0-2.fc42
  libmount 2.40.4-7.fc42
  libnotify 0.8.6-1.fc42
  libpng 2:1.6.44-2.fc42
  libpsl 0.21.5-5.fc42
  libpwquality 1.4.5-12.fc42
  librsvg2 2.60.0-2.fc42
  libseccomp 2.5.5-2.fc42
  libsecret 0.21.7-2.fc42
  libselinux 3.8-2.fc42
  libsepol 3.8-1.fc42
  libsmartcols 2.40.4-7.fc42
  libsoup3 3.6.5-6.fc42
  libssh 0.11.3-1.fc42
  libstdc++ 15.2.1-1.fc42
  libtasn1 4.20.0-1.fc42
  libtool-ltdl 2.5.4-4.fc42
  libunistring 1.1-9.fc42
  libusb1 1.0.29-1.fc42
  libuuid 2.40.4-7.fc42
  libva 2.22.0-4.fc42
  libvpx 1.15.0-2.fc42
  libwayland-client 1.24.0-1.fc42
  libwayland-server 1.24.0-1.fc42
  libxcrypt 4.4.38-7.fc42
  libxkbcommon 1.8.1-1.fc42
  libxml2 2.12.10-1.fc42
  libzstd 1.5.7-1.fc42
  linux-firmware 20251111-1.fc42 noarch
  lz4-libs 1.10.0-2.fc42
  mozjs128 128.14.0-1.fc42
  mutter 48.6-1.fc42
  nautilus 48.3-1.fc42
  ncurses-base 6.5-5.20250125.fc42 noarch
  ncurses-libs 6.5-5.20250125.fc42
  nettle 3.10.1-1.fc42
  nftables 1:1.1.1-3.fc42
  npth 1.8-2.fc42
  openldap 2.6.10-1.fc42
  openssh 9.9p1-11.fc42
  openssh-clients 9.9p1-11.fc42
  openssl 1:3.2.6-2.fc42
  openssl-libs 1:3.2.6-2.fc42
  ostree 2025.6-1.fc42
  ostree-libs 2025.6-1.fc42
  p11-kit 0.25.8-1.fc42
  pam 1.7.0-6.fc42
  pango 1.56.4-1.fc42
  pcre2 10.45-1.fc42
  pipewire-alsa 1.4.9-1.fc42
  pipewire-pulseaudio 1.4.9-1.fc42
  pixman 0.46.2-1.fc42
  podman 5:5.6.2-1.fc42
  polkit 126-3.fc42
  polkit-libs 126-3.fc42
  popt 1.19-8.fc42
  procps-ng 4.0.4-6.fc42
  pulseaudio-libs 17.0-7.fc42
  readline 8.2-13.fc42
  rpm 4.20.1-1.fc42
  rpm-libs 4.20.1-1.fc42
  rpm-ostree 2025.11-1.fc42
  rpm-ostree-libs 2025.11-1.fc42
  sed 4.9-4.fc42
  selinux-policy 42.12-1.fc42 noarch
  selinux-policy-targeted 42.12-1.fc42 noarch
  setup 2.15.0-13.fc42 noarch
  shadow-utils 2:4.17.4-1.fc42
  skopeo 1:1.20.0-1.fc42
  sqlite-libs 3.47.2-5.fc42
  sudo 1.9.17-2.p2.fc42
  tar 2:1.35-5.fc42
  toolbox 0.1.2-1.fc42
  tzdata 2025b-1.fc42 noarch
  upower 1.90.9-1.fc42
  util-linux 2.40.4-7.fc42
  util-linux-core 2.40.4-7.fc42
  vim-minimal 2:9.1.1818-1.fc42
  wireplumber 0.5.12-1.fc42
  xdg-desktop-portal 1.20.3-1.fc42
  xdg-desktop-portal-gnome 48.0-1.fc42
  xkeyboard-config 2.44-1.fc42 noarch
  xz-libs 1:5.8.1-2.fc42
  zlib-ng-compat 2.2.5-2.fc42
  zram-generator 1.2.1-2.fc42
`);

/**
 * What moves between builds, by generation (0: the old build, 1: the current one and the odd builds
 * after it, 2: the newer build): the kernel, mesa, systemd and the shell, plus a few ordinary ones.
 */
const MOVING: ReadonlyArray<readonly [string, string, string]> = [
  ['kernel 6.17.7-300.fc42', 'kernel 6.17.8-300.fc42', 'kernel 6.17.9-300.fc42'],
  ['kernel-core 6.17.7-300.fc42', 'kernel-core 6.17.8-300.fc42', 'kernel-core 6.17.9-300.fc42'],
  ['kernel-modules 6.17.7-300.fc42', 'kernel-modules 6.17.8-300.fc42', 'kernel-modules 6.17.9-300.fc42'],
  ['kernel-modules-core 6.17.7-300.fc42', 'kernel-modules-core 6.17.8-300.fc42', 'kernel-modules-core 6.17.9-300.fc42'],
  ['kernel-modules-extra 6.17.7-300.fc42', 'kernel-modules-extra 6.17.8-300.fc42', 'kernel-modules-extra 6.17.9-300.fc42'],
  ['mesa-dri-drivers 25.2.4-2.fc42', 'mesa-dri-drivers 25.2.6-1.fc42', 'mesa-dri-drivers 25.2.7-1.fc42'],
  ['mesa-filesystem 25.2.4-2.fc42', 'mesa-filesystem 25.2.6-1.fc42', 'mesa-filesystem 25.2.7-1.fc42'],
  ['mesa-libEGL 25.2.4-2.fc42', 'mesa-libEGL 25.2.6-1.fc42', 'mesa-libEGL 25.2.7-1.fc42'],
  ['mesa-libGL 25.2.4-2.fc42', 'mesa-libGL 25.2.6-1.fc42', 'mesa-libGL 25.2.7-1.fc42'],
  ['mesa-libgbm 25.2.4-2.fc42', 'mesa-libgbm 25.2.6-1.fc42', 'mesa-libgbm 25.2.7-1.fc42'],
  ['mesa-va-drivers 25.2.4-2.fc42', 'mesa-va-drivers 25.2.6-1.fc42', 'mesa-va-drivers 25.2.7-1.fc42'],
  ['mesa-vulkan-drivers 25.2.4-2.fc42', 'mesa-vulkan-drivers 25.2.6-1.fc42', 'mesa-vulkan-drivers 25.2.7-1.fc42'],
  ['systemd 257.9-1.fc42', 'systemd 257.9-1.fc42', 'systemd 257.10-1.fc42'],
  ['systemd-libs 257.9-1.fc42', 'systemd-libs 257.9-1.fc42', 'systemd-libs 257.10-1.fc42'],
  ['systemd-pam 257.9-1.fc42', 'systemd-pam 257.9-1.fc42', 'systemd-pam 257.10-1.fc42'],
  ['systemd-udev 257.9-1.fc42', 'systemd-udev 257.9-1.fc42', 'systemd-udev 257.10-1.fc42'],
  ['gnome-shell 48.5-1.fc42', 'gnome-shell 48.6-1.fc42', 'gnome-shell 48.6-1.fc42'],
  ['firefox 144.0.2-1.fc42', 'firefox 145.0-1.fc42', 'firefox 145.0.1-1.fc42'],
  ['firefox-langpacks 144.0.2-1.fc42', 'firefox-langpacks 145.0-1.fc42', 'firefox-langpacks 145.0.1-1.fc42'],
  ['curl 8.11.1-5.fc42', 'curl 8.11.1-5.fc42', 'curl 8.11.1-6.fc42'],
  ['libcurl 8.11.1-5.fc42', 'libcurl 8.11.1-5.fc42', 'libcurl 8.11.1-6.fc42'],
  ['python3 3.13.7-1.fc42', 'python3 3.13.9-1.fc42', 'python3 3.13.9-1.fc42'],
  ['python3-libs 3.13.7-1.fc42', 'python3-libs 3.13.9-1.fc42', 'python3-libs 3.13.9-1.fc42'],
  // The newer build went back to the previous pipewire (a regression was reverted): a downgrade.
  ['pipewire 1.4.8-1.fc42', 'pipewire 1.4.9-1.fc42', 'pipewire 1.4.8-1.fc42'],
  ['pipewire-libs 1.4.8-1.fc42', 'pipewire-libs 1.4.9-1.fc42', 'pipewire-libs 1.4.8-1.fc42'],
];

/** Installed only from a generation on (added) or up to one (removed). */
const COMING_AND_GOING: ReadonlyArray<{ readonly spec: string; readonly from?: number; readonly until?: number }> = [
  { spec: 'htop 3.4.1-1.fc42', until: 1 },
  { spec: 'fastfetch 2.55.0-1.fc42', from: 2 },
];

/** The NVIDIA driver (negativo17's packaging, epoch 3), per generation. */
const NVIDIA_VERSIONS = ['580.82.09', '580.95.05', '580.105.08'] as const;
const NVIDIA_PACKAGES = ['nvidia-driver', 'nvidia-driver-libs', 'nvidia-driver-cuda', 'nvidia-driver-cuda-libs', 'nvidia-settings', 'nvidia-persistenced', 'nvidia-modprobe'];

/** The developer (dx) variants' extra tools. */
const DX = [
  ['distrobox 1.8.1.2-1.fc42 noarch', 'distrobox 1.8.1.2-1.fc42 noarch', 'distrobox 1.8.2-1.fc42 noarch'],
  ['podman-compose 1.5.0-1.fc42 noarch', 'podman-compose 1.5.0-1.fc42 noarch', 'podman-compose 1.5.0-1.fc42 noarch'],
  ['code 1.105.1-1760482543.el8', 'code 1.106.0-1762812466.el8', 'code 1.106.2-1763567154.el8'],
] as const;

/** Which generation a release belongs to, by its build date. */
export function generationOf(created: string): 0 | 1 | 2 {
  if (created < CURRENT.created) return 0;
  if (created < NEWER.created) return 1;
  return 2;
}

function one(spec: string): RpmPackage {
  const [pkg] = parseList(spec);
  if (!pkg) throw new Error(`bad package spec "${spec}"`);
  return pkg;
}

function nvidiaPackages(variant: Variant, generation: 0 | 1 | 2): RpmPackage[] {
  const version = NVIDIA_VERSIONS[generation];
  const kmod = variant.endsWith('nvidia-open') ? 'kmod-nvidia-open' : 'kmod-nvidia';
  return [
    ...NVIDIA_PACKAGES.map((name) => one(`${name} 3:${version}-1.fc42`)),
    one(`nvidia-kmod-common 3:${version}-1.fc42 noarch`),
    one(`${kmod} 3:${version}-1.fc42`),
  ];
}

/** The packages one catalog build of `variant` has installed. */
export function releasePackages(variant: Variant, release: Release): RpmPackage[] {
  const generation = generationOf(release.created);
  const packages = [...BASE, ...MOVING.map((specs) => one(specs[generation]))];
  for (const { spec, from = 0, until = 2 } of COMING_AND_GOING) if (generation >= from && generation <= until) packages.push(one(spec));
  if (variant.includes('nvidia')) packages.push(...nvidiaPackages(variant, generation));
  if (variant.includes('-dx')) packages.push(...DX.map((specs) => one(specs[generation])));
  // The image's own release package: every build differs in it.
  packages.push({ name: 'vespera-release', epoch: '(none)', version: '42', release: release.version.slice(3), arch: 'noarch' });
  return packages;
}

const SUBPACKAGES = ['', '-libs', '-devel', '-common', '-data', '-doc', '-tools', '-utils', '-static', '-langpack'];

/**
 * About `count` packages for a large build (benchmarks): the base list and its subpackages, each at
 * `release` (a mass rebuild changes every one of them).
 */
export function largePackageList(count: number, release: string): RpmPackage[] {
  const out: RpmPackage[] = [];
  for (const suffix of SUBPACKAGES) {
    for (const base of BASE) {
      if (out.length >= count) return out;
      out.push({ ...base, name: `${base.name}${suffix}`, release });
    }
  }
  for (let i = 0; out.length < count; i++) out.push({ name: `vespera-extra-${i}`, epoch: '(none)', version: '1.0', release, arch: 'noarch' });
  return out;
}
