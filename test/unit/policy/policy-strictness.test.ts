import { describe, expect, it } from 'vitest';
import { broaderScopes } from '../../../main/policy/docker-scopes.ts';
import { parsePolicyText } from '../../../main/policy/policy-parse.ts';
import { looseningsOf } from '../../../main/policy/policy-strictness.ts';
import { corpusText } from '../../support/policy-corpus/corpus.ts';

interface PolicyJson {
  default: unknown[];
  transports: Record<string, Record<string, unknown[]>>;
}

const UBLUE = JSON.parse(corpusText('ublue-os-signing.json')) as PolicyJson;
const key = (...paths: string[]) => [{ type: 'sigstoreSigned', ...(paths.length === 1 ? { keyPath: paths[0] } : { keyPaths: paths }), signedIdentity: { type: 'matchRepository' } }];
const ACCEPT = [{ type: 'insecureAcceptAnything' }];

/** What `after` loosens compared with `before`, as the helper words it. */
function loosened(before: PolicyJson, edit: (p: PolicyJson) => void): string[] {
  const after = structuredClone(before);
  edit(after);
  return looseningsOf(parsePolicyText(JSON.stringify(before), 'before'), parsePolicyText(JSON.stringify(after), 'after')).map((l) => l.message);
}

describe('the scopes containers/image falls back to after a scope', () => {
  it.each([
    ['ghcr.io/acme/vespera:latest', ['ghcr.io/acme/vespera', 'ghcr.io/acme', 'ghcr.io', '*.io']],
    [`ghcr.io/acme/vespera@sha256:${'a'.repeat(64)}`, ['ghcr.io/acme/vespera', 'ghcr.io/acme', 'ghcr.io', '*.io']],
    ['ghcr.io/acme', ['ghcr.io', '*.io']],
    ['registry.example.com:5000/team/app:v1', ['registry.example.com:5000/team/app', 'registry.example.com:5000/team', 'registry.example.com:5000', '*.example.com', '*.com']],
    ['ghcr.io', ['*.io']],
    ['*.a.example.com', ['*.example.com', '*.com']],
  ])('%s', (scope, broader) => {
    expect(broaderScopes(scope).map((c) => c.scope)).toEqual(broader);
  });
});

describe('is the new policy at least as strict, image by image', () => {
  it.each([
    ['a tag rule trusting a new key under a repository rule', (p: PolicyJson) => ((p.transports.docker ??= {})['ghcr.io/ublue-os/bluefin:stable'] = key('/etc/pki/containers/evil.pub')), /docker images of "ghcr.io\/ublue-os\/bluefin:stable" would be governed by the docker scope "ghcr.io\/ublue-os\/bluefin:stable" .*instead of the docker scope "ghcr.io\/ublue-os"/],
    ['a host rule under a reject default with no catch-all', (p: PolicyJson) => ((p.transports.docker ??= {})['ghcr.io'] = key('/etc/pki/containers/evil.pub')), /docker images of "ghcr.io" would be governed by .* instead of the global default \(reject \(reject\)\)/, (p: PolicyJson) => delete p.transports.docker?.['']],
    ['an accept-anything rule for a signed namespace', (p: PolicyJson) => ((p.transports.docker ??= {})['quay.io/toolbx-images/fedora'] = ACCEPT), /"quay.io\/toolbx-images\/fedora" would be governed .*accept anything/],
    ['a wildcard host rule over a rejecting catch-all', (p: PolicyJson) => ((p.transports.docker ??= {})['*.io'] = ACCEPT), /docker images of "\*.io" would be governed by the docker scope "\*.io" .* instead of the docker catch-all ""/, (p: PolicyJson) => ((p.transports.docker ??= {})[''] = [{ type: 'reject' }])],
    ['a looser default', (p: PolicyJson) => (p.default = ACCEPT), /images of transports no rule lists would be governed by the global default \(accept anything/],
  ])('refuses %s', (_what, edit, message, prepare?: (p: PolicyJson) => void) => {
    const before = structuredClone(UBLUE);
    prepare?.(before);
    expect(loosened(before, edit).join('\n')).toMatch(message);
  });

  it.each([
    ['a key rule for a repository the catch-all accepted', (p: PolicyJson) => ((p.transports.docker ??= {})['ghcr.io/acme/vespera'] = key('/etc/pki/containers/acme.pub'))],
    ['a tag rule trusting fewer of the same keys', (p: PolicyJson) => ((p.transports.docker ??= {})['ghcr.io/ublue-os/bluefin:stable'] = key('/etc/pki/containers/ublue-os.pub'))],
    ['a rule demanding one more signature on top', (p: PolicyJson) => ((p.transports.docker ??= {})['ghcr.io/ublue-os/bluefin'] = [...key('/etc/pki/containers/ublue-os.pub', '/etc/pki/containers/ublue-os-backup.pub'), ...key('/etc/pki/containers/extra.pub')])],
    ['rejecting a registry', (p: PolicyJson) => ((p.transports.docker ??= {})['docker.io'] = [{ type: 'reject' }])],
    ['dropping an accept-anything rule under a reject default', (p: PolicyJson) => delete p.transports.atomic],
  ])('allows %s', (_what, edit) => {
    expect(loosened(UBLUE, edit)).toEqual([]);
  });

  it('sees a stock Fedora policy turned into key-enforced mode as a tightening, and the way back as a loosening', () => {
    const fedora = JSON.parse(corpusText('fedora-default.json')) as PolicyJson;
    const enforced = structuredClone(fedora);
    enforced.default = [{ type: 'reject' }];
    for (const t of ['docker', 'docker-daemon', 'atomic', 'containers-storage', 'dir', 'oci', 'oci-archive', 'docker-archive', 'tarball']) (enforced.transports[t] ??= {})[''] = ACCEPT;
    (enforced.transports.docker ??= {})['ghcr.io/acme/vespera'] = key('/etc/pki/containers/acme.pub');
    const strict = (a: PolicyJson, b: PolicyJson) => looseningsOf(parsePolicyText(JSON.stringify(a), 'a'), parsePolicyText(JSON.stringify(b), 'b'));
    expect(strict(fedora, enforced)).toEqual([]);
    expect(strict(enforced, fedora).map((l) => l.scope)).toContain('ghcr.io/acme/vespera');
  });
});
