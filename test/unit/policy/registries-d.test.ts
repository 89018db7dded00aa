import { describe, expect, it } from 'vitest';
import { parseDockerReference } from '../../../main/shared/image-reference.ts';
import { mergeRegistriesFiles, parseRegistriesFile, RegistriesError, sigstoreAttachmentsFor, type RegistriesFile } from '../../../main/policy/registries-d.ts';
import { caught } from '../../support/caught.ts';

// The files a Fedora host ships (containers-common), and Universal Blue's.
const FEDORA: RegistriesFile[] = [
  { name: 'default.yaml', text: '# default lookaside locations are built in\ndefault-docker:\n#  lookaside: https://example.com\n' },
  { name: 'registry.access.redhat.com.yaml', text: 'docker:\n     registry.access.redhat.com:\n         sigstore: https://access.redhat.com/webassets/docker/content/sigstore\n' },
  { name: 'registry.redhat.io.yaml', text: 'docker:\n     registry.redhat.io:\n         sigstore: https://registry.redhat.io/containers/sigstore\n' },
];
const UBLUE: RegistriesFile = { name: 'ublue-os.yaml', text: 'docker:\n  ghcr.io/ublue-os:\n    use-sigstore-attachments: true\n' };

const ref = (text: string) => parseDockerReference(text);

const refusal = (files: RegistriesFile[]) => caught(() => mergeRegistriesFiles(files), RegistriesError);

describe('registries.d lookup', () => {
  it('does not fetch cosign signatures on a stock Fedora host', () => {
    const answer = sigstoreAttachmentsFor(mergeRegistriesFiles(FEDORA), ref('ghcr.io/acme/vespera:latest'));
    expect(answer.enabled).toBe(false);
    expect(answer.explanation).toMatch(/no signature exists/);
  });

  it("fetches them for Universal Blue's namespace and says which file decided", () => {
    const answer = sigstoreAttachmentsFor(mergeRegistriesFiles([...FEDORA, UBLUE]), ref('ghcr.io/ublue-os/bluefin:stable'));
    expect(answer).toMatchObject({ enabled: true, decidedBy: { scope: 'ghcr.io/ublue-os', file: 'ublue-os.yaml', line: 2, kind: 'namespace' } });
    expect(sigstoreAttachmentsFor(mergeRegistriesFiles([...FEDORA, UBLUE]), ref('ghcr.io/acme/vespera')).enabled).toBe(false);
  });

  it('falls through a more specific scope that does not set the option, and obeys one that does', () => {
    const files: RegistriesFile[] = [
      UBLUE,
      { name: 'mirror.yaml', text: 'docker:\n  ghcr.io/ublue-os/bluefin:\n    lookaside: https://sigs.example.com\n  ghcr.io/ublue-os/aurora:\n    use-sigstore-attachments: false\n' },
    ];
    const config = mergeRegistriesFiles(files);
    const bluefin = sigstoreAttachmentsFor(config, ref('ghcr.io/ublue-os/bluefin:stable'));
    expect(bluefin.enabled).toBe(true);
    expect(bluefin.passedOver.map((e) => e.scope)).toEqual(['ghcr.io/ublue-os/bluefin']);
    expect(sigstoreAttachmentsFor(config, ref('ghcr.io/ublue-os/aurora:stable')).enabled).toBe(false);
  });

  it('uses default-docker when no scope sets the option', () => {
    const config = mergeRegistriesFiles([{ name: 'all.yaml', text: 'default-docker:\n  use-sigstore-attachments: true\n' }]);
    expect(sigstoreAttachmentsFor(config, ref('quay.io/x/y')).decidedBy?.kind).toBe('default-docker');
  });

  it('reads YAML 1.1 booleans as containers/image does, with a warning', () => {
    const config = mergeRegistriesFiles([{ name: 'a.yaml', text: 'docker:\n  quay.io/x:\n    use-sigstore-attachments: yes\n' }]);
    expect(sigstoreAttachmentsFor(config, ref('quay.io/x/y')).enabled).toBe(true);
    expect(config.warnings[0]?.message).toMatch(/write true/);
  });

  it('warns about misspelt settings and files containers/image never reads', () => {
    const config = mergeRegistriesFiles([
      { name: 'a.yaml', text: 'docker:\n  quay.io/x:\n    use-sigstore-attachment: true\n' },
      { name: 'b.yml', text: 'docker:\n  quay.io/y:\n    use-sigstore-attachments: true\n' },
    ]);
    const messages = config.warnings.map((w) => `${w.file}: ${w.message}`).join('\n');
    expect(messages).toMatch(/a.yaml: "use-sigstore-attachment" .* ignored \(the setting is "use-sigstore-attachments"\)/);
    expect(messages).toMatch(/b.yml: .*only files ending in .yaml/);
    expect(sigstoreAttachmentsFor(config, ref('quay.io/y/z')).enabled).toBe(false);
  });
});

describe('registries.d conflicts are fatal, as in containers/image', () => {
  it('refuses a scope defined in two files, naming both', () => {
    const error = refusal([UBLUE, { name: 'mine.yaml', text: 'docker:\n  ghcr.io/ublue-os:\n    use-sigstore-attachments: true\n' }]);
    expect(error.code).toBe('registries-conflict');
    expect(error.message).toMatch(/mine.yaml, line 2, column 3: the scope "ghcr.io\/ublue-os" is also defined in ublue-os.yaml/);
    expect(error.message).toMatch(/every pull from a registry fails/);
  });

  it('refuses two default-docker sections, but not an empty one next to a real one', () => {
    expect(refusal([
      { name: 'a.yaml', text: 'default-docker:\n  lookaside: https://a\n' },
      { name: 'b.yaml', text: 'default-docker:\n  lookaside: https://b\n' },
    ]).message).toMatch(/"default-docker" is also defined in a.yaml/);
    expect(() => mergeRegistriesFiles([...FEDORA, { name: 'b.yaml', text: 'default-docker:\n  use-sigstore-attachments: true\n' }])).not.toThrow();
  });

  it.each([
    ['a key twice in one file', 'docker:\n  quay.io/x:\n    lookaside: https://a\n  quay.io/x:\n    lookaside: https://b\n', /defined twice/],
    ['a non-boolean option', 'docker:\n  quay.io/x:\n    use-sigstore-attachments: maybe\n', /must be true or false/],
    ['broken YAML', 'docker:\n  quay.io/x: [\n', /x.yaml, line \d+, column \d+: not valid YAML/],
    ['two YAML documents', 'docker:\n  quay.io/x: {}\n---\ndocker:\n  quay.io/y: {}\n', /line 3, column 1: the file holds more than one YAML document/],
    ['docker as a list', 'docker:\n  - quay.io/x\n', /must be a mapping/],
  ])('refuses %s', (_what, text, message) => {
    const error = refusal([{ name: 'x.yaml', text }]);
    expect(error.code).toBe('registries-invalid');
    expect(error.message).toMatch(message);
  });
});

describe('YAML that readers disagree on is refused, with the line and column', () => {
  // Go's YAML (containers/image) applies "<<" merge keys; YAML 1.2 readers keep "<<" as a scope name.
  it.each([
    ['a merge key', 'docker:\n  ghcr.io/acme:\n    use-sigstore-attachments: true\n  <<: {ghcr.io/evil: {lookaside: https://evil.example}}\n', /x.yaml, line 4, column 3: uses a YAML merge key \("<<"\)/],
    ['an anchor', 'docker:\n  ghcr.io/acme: &on\n    use-sigstore-attachments: true\n', /line 2, column 17: uses a YAML anchor \(&on\)/],
    ['an alias', 'docker:\n  ghcr.io/acme:\n    use-sigstore-attachments: true\n  ghcr.io/evil: *x\n', /not valid YAML|uses a YAML alias/],
    ['a tag', 'docker:\n  ghcr.io/acme:\n    use-sigstore-attachments: !!bool true\n', /line 3, column \d+: uses a YAML tag \(!!bool\)/],
    ['a custom tag', 'docker:\n  ghcr.io/acme:\n    lookaside: !url https://a.example\n', /uses a YAML tag \(!url\)/],
  ])('refuses %s in any registries.d file', (_what, text, message) => {
    const error = refusal([{ name: 'x.yaml', text }]);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/Write every setting out in full|Fix the syntax/);
  });

  it('refuses an alias to an anchor too, naming where it is', () => {
    const error = refusal([{ name: 'x.yaml', text: 'docker:\n  ghcr.io/acme: &on\n    use-sigstore-attachments: true\n  ghcr.io/other: *on\n' }]);
    expect(error.code).toBe('registries-unsupported');
    expect(error.message).toMatch(/line 2, column 17: uses a YAML anchor/);
  });

  it('refuses, in the strict form the helper writes, what is otherwise only a warning', () => {
    const unknownKey = caught(() => parseRegistriesFile('vespera-updates.yaml', 'docker:\n  ghcr.io/acme:\n    use-sigstore-attachments: true\n    lookaside-url: https://evil.example\n', { strict: true }), RegistriesError);
    expect(unknownKey.code).toBe('registries-unsupported');
    expect(unknownKey.message).toMatch(/vespera-updates.yaml, line 4, column 5: "lookaside-url" under "ghcr.io\/acme" is not a registries.d setting/);
    const topLevel = caught(() => parseRegistriesFile('vespera-updates.yaml', 'docker: {}\nmirrors: [a]\n', { strict: true }), RegistriesError);
    expect(topLevel.message).toMatch(/line 2, column 1: "mirrors" is not a registries.d setting/);
    expect(() => parseRegistriesFile('vespera-updates.yaml', 'docker:\n  ghcr.io/acme:\n    use-sigstore-attachments: yes\n', { strict: true })).toThrow(/line 3, column 31: "yes" is read as true/);
    // The same files outside strict mode load with warnings, as containers/image ignores unknown keys.
    expect(parseRegistriesFile('a.yaml', 'docker: {}\nmirrors: [a]\n').warnings).toHaveLength(1);
  });
});
