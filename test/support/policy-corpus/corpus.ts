// Real-shaped containers-policy.json files with what containers/image does with each: the unit tests
// check the model against these, and the skopeo cross-check checks real containers/image against them.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface CorpusEntry {
  readonly file: string;
  readonly what: string;
  /** Loads in a containers/image that knows every feature. */
  readonly valid: boolean;
  /** Feature level it needs (policy-model FEATURE_LEVELS) when valid. */
  readonly requires?: 0 | 1 | 2 | 3 | 4;
  /** For invalid files: the error code and the text the error points at (its first occurrence). */
  readonly error?: { readonly code: 'policy-syntax' | 'policy-invalid' | 'policy-keyless'; readonly at: string; readonly mentions: RegExp };
}

export const POLICY_CORPUS: readonly CorpusEntry[] = [
  { file: 'fedora-default.json', what: "Fedora's stock policy (containers-common ships containers/image's default-policy.json)", valid: true, requires: 0 },
  { file: 'fedora-redhat-gpg.json', what: 'older Fedora / RHEL policy with GPG rules for the Red Hat registries', valid: true, requires: 0 },
  { file: 'ublue-os-signing.json', what: "Universal Blue's ublue-os-signing policy (two keys via keyPaths)", valid: true, requires: 3 },
  { file: 'ublue-os-single-key.json', what: 'Universal Blue policy before the backup key (keyPath)', valid: true, requires: 1 },
  { file: 'catch-all-double-default.json', what: 'a doubled insecureAcceptAnything default that slips past rpm-ostree', valid: true, requires: 1 },
  { file: 'catch-all-docker.json', what: 'reject default with a docker catch-all and a host-wide accept', valid: true, requires: 1 },
  { file: 'wildcard-hosts.json', what: 'wildcard host scopes and inline key data', valid: true, requires: 1 },
  { file: 'fulcio-email.json', what: 'keyless Fulcio rule with an e-mail identity', valid: true, requires: 2 },
  { file: 'pki-hostname.json', what: 'bring-your-own PKI rule with remapIdentity', valid: true, requires: 4 },
  {
    file: 'seed-strict.json',
    what: "the seed document's strict example",
    valid: false,
    error: { code: 'policy-keyless', at: '"keyless"', mentions: /keyless/ },
  },
  {
    file: 'seed-permissive.json',
    what: "the seed document's permissive example",
    valid: false,
    error: { code: 'policy-keyless', at: '"keyless"', mentions: /keyless/ },
  },
  {
    file: 'seed-variants.json',
    what: "the seed document's six-variant example",
    valid: false,
    error: { code: 'policy-keyless', at: '"keyless"', mentions: /keyless/ },
  },
  {
    file: 'fulcio-without-email.json',
    what: 'a Fulcio rule for a GitHub Actions identity (no subjectEmail)',
    valid: false,
    error: { code: 'policy-invalid', at: '{\n            "caPath"', mentions: /subjectEmail/ },
  },
  { file: 'broken-trailing-comma.json', what: 'a trailing comma', valid: false, error: { code: 'policy-syntax', at: '}\n  }\n}', mentions: /trailing comma/ } },
  { file: 'broken-comment.json', what: 'a // comment', valid: false, error: { code: 'policy-syntax', at: '//', mentions: /comments/ } },
  { file: 'broken-bom.json', what: 'a UTF-8 byte-order mark', valid: false, error: { code: 'policy-syntax', at: '\ufeff', mentions: /byte-order mark/ } },
  {
    file: 'broken-duplicate-scope.json',
    what: 'the same scope twice',
    valid: false,
    error: { code: 'policy-invalid', at: '"ghcr.io/acme": [{"type": "insecureAcceptAnything"}]', mentions: /appears twice/ },
  },
  { file: 'broken-unclosed-string.json', what: 'an unclosed string', valid: false, error: { code: 'policy-syntax', at: '"insecureAcceptAnything}', mentions: /not closed|end of the line/ } },
  { file: 'broken-type-case.json', what: 'a requirement type in the wrong case', valid: false, error: { code: 'policy-invalid', at: '"Reject"', mentions: /unknown requirement type "Reject"/ } },
  { file: 'broken-no-default.json', what: 'no default', valid: false, error: { code: 'policy-invalid', at: '{', mentions: /no "default"/ } },
];

export function corpusText(file: string): string {
  return readFileSync(join(HERE, file), 'utf8');
}

export function corpusPath(file: string): string {
  return join(HERE, file);
}

/** 1-based line and column of the first occurrence of `needle`. */
export function positionOf(text: string, needle: string): { line: number; column: number } {
  const offset = text.indexOf(needle);
  if (offset === -1) throw new Error(`"${needle}" is not in the text`);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}
