// The file's sections parsed into a ConfigLayer (registries, trust, families, updates, reminders, changes,
// world), with the line of each setting; a user's file is checked against the layers below as it is read.

import { isScalar, LineCounter, parseDocument } from 'yaml';
import { adminFile, checkUserFamily, checkUserRegistry, describeSource, settingKey } from './config-layers.ts';
import { ConfigError, DAY, GITHUB_ISSUER, type Config, type ConfigLayer, type FamilySettings, type HeadlineGroup } from './config-model.ts';
import { LayerReader, validRegexp, type Path } from './config-reader.ts';

const HOST = { re: /^(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$/, what: 'a registry host (host or host:port)' };
const HTTPS_URL = { re: /^https:\/\/[^\s/]+(\/[^\s]*)?$/, what: 'an https:// URL' };
const GITHUB_REPO = { re: /^https:\/\/[^\s/]+\/[^\s/]+\/[^\s/]+$/, what: 'a repository URL like https://github.com/OWNER/REPO' };
const ABSOLUTE = { re: /^\//, what: 'an absolute path' };
const WORKFLOW_REF = { re: /^refs\/[A-Za-z0-9._*/-]+$/, what: 'a git ref like refs/heads/main, or a pattern like refs/tags/*' };
const INSTANT = { re: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, what: 'a UTC time like 2026-12-20T00:00:00Z' };
const IMAGE_PATTERN = { re: /^[a-z0-9.:[\]-]+\/[a-z0-9._/-]+\*?$/, what: 'an image repository like ghcr.io/OWNER/NAME (a trailing * matches any suffix)' };

export interface ParseOptions {
  /**
   * The configuration below this file: given, the file is the user's, which may add to it but never
   * loosen what the administrator's file set (refused as config-pinned, with the line).
   */
  readonly below?: Config;
}

export function parseConfigText(text: string, source: string, options: ParseOptions = {}): ConfigLayer {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const at = lines.linePos(first.pos[0]);
    throw new ConfigError('config-invalid', `${source}, line ${at.line}, column ${at.col}: not valid YAML (${first.message.split('\n')[0]}); fix the syntax.`);
  }
  const r: LayerReader = new LayerReader(doc, lines, source);
  const below = options.below;
  const layer: ConfigLayer = { source, ...(below ? { layer: 'user' as const } : {}) };
  const at: Record<string, number> = {};
  const record = (key: string, path: Path): void => {
    const line = r.lineOf(path);
    if (line !== undefined) at[key] = line;
  };
  if (doc.contents === null) return layer;
  const top = r.keys([], ['registries', 'trust', 'families', 'updates', 'reminders', 'changes', 'world']);

  if (top.has('registries')) {
    layer.registries = Array.from({ length: r.list(['registries']) }, (_, i) => {
      const keys = r.keys(['registries', i], ['host', 'insecure', 'github-packages', 'timeout']);
      const host = r.string(['registries', i, 'host'], HOST).toLowerCase();
      const settings = {
        host,
        insecure: keys.has('insecure') ? r.boolean(['registries', i, 'insecure']) : false,
        githubPackages: keys.has('github-packages') ? r.boolean(['registries', i, 'github-packages']) : host === 'ghcr.io',
        ...(keys.has('timeout') ? { timeoutMs: r.duration(['registries', i, 'timeout'], { min: 1000, max: 600_000 }) } : {}),
      };
      record(settingKey('registries', host), ['registries', i]);
      if (below) checkUserRegistry((path, problem) => r.pinned(path, problem), below, settings, i);
      return settings;
    });
  }
  if (top.has('trust')) {
    const keys = r.keys(['trust'], ['trusted-root', 'tuf-mirror', 'refresh-every']);
    if (below && keys.has('trusted-root')) {
      // The trusted root decides whose certificates and log entries count: a user's root could vouch for anyone.
      r.pinned(['trust', 'trusted-root'], `only the administrator's configuration (${adminFile(below)}) may replace the trusted root, which decides whose signatures count`);
    }
    layer.trust = {
      ...(keys.has('trusted-root') ? { trustedRoot: r.string(['trust', 'trusted-root'], ABSOLUTE) } : {}),
      ...(keys.has('tuf-mirror') ? { tufMirror: r.string(['trust', 'tuf-mirror'], HTTPS_URL) } : {}),
      ...(keys.has('refresh-every') ? { refreshEveryMs: r.duration(['trust', 'refresh-every']) } : {}),
    };
    for (const key of ['trusted-root', 'tuf-mirror', 'refresh-every']) if (keys.has(key)) record(settingKey(`trust.${key}`), ['trust', key]);
    // Reloading the root less often than the administrator asked would keep a withdrawn key trusted longer.
    if (below && layer.trust.refreshEveryMs !== undefined && layer.trust.refreshEveryMs > below.trust.refreshEveryMs) {
      r.pinned(['trust', 'refresh-every'], `it may only be shorter than the ${Math.round(below.trust.refreshEveryMs / 3_600_000)} hours set below (${describeSource(below.provenance['trust.refresh-every'] ?? { layer: 'built-in' })})`);
    }
    const mirror = below?.provenance['trust.tuf-mirror'];
    if (below && layer.trust.tufMirror !== undefined && mirror?.layer === 'system' && layer.trust.tufMirror !== below.trust.tufMirror) {
      r.pinned(['trust', 'tuf-mirror'], `the administrator set the TUF mirror in ${describeSource(mirror)}`);
    }
  }
  if (top.has('families')) {
    layer.families = Array.from({ length: r.list(['families']) }, (_, i) => {
      const path = ['families', i];
      const keys = r.keys(path, ['images', 'repository', 'identity', 'identity-regexp', 'issuer', 'key', 'workflow-ref']);
      if (!keys.has('images')) r.fail(path, 'a family needs `images`, the repositories it covers');
      const images = Array.from({ length: r.list([...path, 'images']) }, (_, j) => r.string([...path, 'images', j], IMAGE_PATTERN));
      if (images.length === 0) r.fail([...path, 'images'], 'name at least one image repository');
      const identities = ['repository', 'identity', 'identity-regexp'].filter((k) => keys.has(k));
      if (identities.length > 1) r.fail(path, `give only one of repository, identity, identity-regexp (found ${identities.join(', ')})`);
      if (identities.length === 0 && !keys.has('key')) r.fail(path, 'say who signs: repository, identity, identity-regexp or key');
      const family: FamilySettings = {
        images,
        issuer: keys.has('issuer') ? r.string([...path, 'issuer'], HTTPS_URL) : GITHUB_ISSUER,
        ...(keys.has('repository') ? { repository: r.string([...path, 'repository'], GITHUB_REPO).replace(/\/$/, '') } : {}),
        ...(keys.has('identity') ? { identity: r.string([...path, 'identity']) } : {}),
        ...(keys.has('identity-regexp') ? { identityRegexp: validRegexp(r, [...path, 'identity-regexp']) } : {}),
        ...(keys.has('key') ? { key: r.string([...path, 'key'], ABSOLUTE) } : {}),
        ...(keys.has('workflow-ref') ? { workflowRefs: r.stringOrList([...path, 'workflow-ref'], WORKFLOW_REF) } : {}),
      };
      record(settingKey('families', images.join(',')), path);
      if (below) checkUserFamily((path, problem) => r.pinned(path, problem), below, family, i);
      return family;
    });
  }
  if (top.has('updates')) {
    const keys = r.keys(['updates'], ['automatic-staging', 'max-tag-age']);
    layer.updates = {
      ...(keys.has('automatic-staging') ? { automaticStaging: r.boolean(['updates', 'automatic-staging']) } : {}),
      ...(keys.has('max-tag-age') ? { maxTagAgeMs: r.duration(['updates', 'max-tag-age']) } : {}),
    };
    if (keys.has('automatic-staging')) record('updates.automatic-staging', ['updates', 'automatic-staging']);
    if (keys.has('max-tag-age')) {
      record('updates.max-tag-age', ['updates', 'max-tag-age']);
      // Noticing a tag held still later than the administrator asked would loosen a check.
      if (below && (layer.updates.maxTagAgeMs ?? 0) > below.updates.maxTagAgeMs) {
        r.pinned(['updates', 'max-tag-age'], `it may only be shorter than the ${Math.round(below.updates.maxTagAgeMs / DAY)} days set below (${describeSource(below.provenance['updates.max-tag-age'] ?? { layer: 'built-in' })})`);
      }
    }
  }
  if (top.has('reminders')) {
    const keys = r.keys(['reminders'], ['ready-every', 'failure-every']);
    layer.reminders = {
      ...(keys.has('ready-every') ? { readyEveryMs: r.duration(['reminders', 'ready-every']) } : {}),
      ...(keys.has('failure-every') ? { failureEveryMs: r.duration(['reminders', 'failure-every']) } : {}),
    };
    for (const key of ['ready-every', 'failure-every']) if (keys.has(key)) record(`reminders.${key}`, ['reminders', key]);
  }
  if (top.has('changes')) {
    const keys = r.keys(['changes'], ['headline']);
    if (keys.has('headline')) {
      layer.changes = { headline: headlineGroups(r, ['changes', 'headline']) };
      record('changes.headline', ['changes', 'headline']);
    }
  }
  if (top.has('world')) {
    // The world points the app at another /etc and runs the helper without pkexec: test world and demo only.
    if (below) r.pinned(['world'], 'world is only for the test world, in the file VESPERA_UPDATES_CONFIG names; it is never read from your configuration');
    const keys = r.keys(['world'], ['root', 'etc-root', 'clock']);
    layer.world = {
      root: r.string(['world', 'root'], ABSOLUTE),
      etcRoot: r.string(['world', 'etc-root'], ABSOLUTE),
      ...(keys.has('clock') ? { clock: r.string(['world', 'clock'], INSTANT) } : {}),
    };
    record('world', ['world']);
  }
  layer.lines = at;
  return layer;
}

const PACKAGE_PATTERN = { re: /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,200}\*?$/, what: 'a package name (a trailing * matches any suffix)' };
const LABEL = { re: /^[^\p{Cc}\p{Cf}]{1,40}$/u, what: 'a short label (at most 40 characters)' };
const MAX_HEADLINE_GROUPS = 32;

/** `- kernel` (a package, shown under its own name) or `- {label: NVIDIA, packages: [nvidia-driver*, …]}`. */
function headlineGroups(r: LayerReader, path: Path): HeadlineGroup[] {
  const count = r.list(path);
  if (count > MAX_HEADLINE_GROUPS) r.fail(path, `at most ${MAX_HEADLINE_GROUPS} headline entries`);
  return Array.from({ length: count }, (_, i) => {
    const at = [...path, i];
    if (isScalar(r.node(at))) {
      const name = r.string(at, PACKAGE_PATTERN);
      return { label: name.replace(/\*$/, ''), packages: [name] };
    }
    const keys = r.keys(at, ['label', 'packages']);
    if (!keys.has('label') || !keys.has('packages')) r.fail(at, 'a headline entry needs `label` and `packages`');
    const packages = Array.from({ length: r.list([...at, 'packages']) }, (_, j) => r.string([...at, 'packages', j], PACKAGE_PATTERN));
    if (packages.length === 0) r.fail([...at, 'packages'], 'name at least one package');
    return { label: r.string([...at, 'label'], LABEL), packages };
  });
}
