import dbus from 'dbus-next';
import { describe, expect, it } from 'vitest';
import { parsePackageDiff } from '../../../main/host/index.ts';

const pkg = (name: string, evr: string, arch = 'x86_64') => new dbus.Variant('(sss)', [name, evr, arch]);

describe('the package diff at the edge', () => {
  it('reads rpm-ostree\'s a(sua{sv}): type codes, previous and new packages', () => {
    const entries = parsePackageDiff([
      ['fastfetch', 0, { NewPackage: pkg('fastfetch', '2.55.0-1.fc42') }],
      ['htop', 1, { PreviousPackage: pkg('htop', '3.4.1-1.fc42') }],
      ['nvidia-driver', 2, { PreviousPackage: pkg('nvidia-driver', '3:580.95.05-1.fc42'), NewPackage: pkg('nvidia-driver', '3:580.105.08-1.fc42') }],
      ['pipewire', 3, { PreviousPackage: pkg('pipewire', '1.4.9-1.fc42'), NewPackage: pkg('pipewire', '1.4.8-1.fc42') }],
    ]);
    expect(entries.map((e) => e.kind)).toEqual(['added', 'removed', 'upgraded', 'downgraded']);
    expect(entries[2]).toEqual({ name: 'nvidia-driver', kind: 'upgraded', previous: { name: 'nvidia-driver', evr: '3:580.95.05-1.fc42', arch: 'x86_64' }, next: { name: 'nvidia-driver', evr: '3:580.105.08-1.fc42', arch: 'x86_64' } });
  });

  it.each([
    ['not an array', { kernel: 1 }],
    ['an unknown type', [['kernel', 7, { NewPackage: pkg('kernel', '1-1') }]]],
    ['an upgrade without its new package', [['kernel', 2, { PreviousPackage: pkg('kernel', '1-1') }]]],
    ['an addition with a previous package', [['kernel', 0, { PreviousPackage: pkg('kernel', '1-1'), NewPackage: pkg('kernel', '2-1') }]]],
    ['a package tuple of the wrong type', [['kernel', 0, { NewPackage: new dbus.Variant('(ss)', ['kernel', '1-1']) }]]],
    ['control characters in a name', [['kernel\u001b[2J', 0, { NewPackage: pkg('kernel', '1-1') }]]],
    ['a version that is no EVR', [['kernel', 0, { NewPackage: pkg('kernel', '1 ; rm -rf') }]]],
    ['too many entries', Array.from({ length: 25_001 }, () => ['a', 0, { NewPackage: pkg('a', '1-1') }])],
  ])('refuses %s rather than show something wrong', (_what, value) => {
    expect(() => parsePackageDiff(value)).toThrow(expect.objectContaining({ code: 'unknown', message: expect.stringContaining('cannot read') as string }) as Error);
  });
});
