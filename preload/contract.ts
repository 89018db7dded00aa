// The one contract between the untrusted renderer and the main process: every command the UI may
// invoke, its input and output, every event main pushes, and the runtime validators main applies.
//
// Shared by main (handlers validate every input with `validateInput` before use), preload (exposes
// exactly these channels) and renderer (types only). Values are plain JSON: no BigInt, no Dates
// (times are ISO 8601 strings), no class instances.

// ---------------------------------------------------------------------------------------------
// View model
// ---------------------------------------------------------------------------------------------

/**
 * What the app knows about the signature of one image digest. Three verdicts are never mixed:
 * `verified`; `failed` (evidence that something is wrong); `unchecked` (it could not be checked:
 * offline, the registry refused, nobody configured as signer), with the last good answer if any.
 */
export interface SignatureView {
  readonly status: 'verified' | 'failed' | 'unchecked' | 'checking' | 'not-checked' | 'not-applicable';
  /** The manifest digest this statement is about (the one rpm-ostree deploys). */
  readonly digest?: string;
  /** Who the app expects to have signed, in words, and whether that was derived from the image name. */
  readonly expected?: { readonly description: string; readonly derived: boolean };
  /** Present when verified. */
  readonly signer?: {
    readonly kind: 'keyless' | 'key';
    /** Keyless: the certificate identity (workflow URI); key: the key's file name or fingerprint. */
    readonly identity: string;
    readonly issuer?: string;
    readonly sourceRepository?: string;
    /** e.g. `.github/workflows/build.yml@refs/heads/main`. */
    readonly workflow?: string;
    readonly commit?: string;
    /** The CI run that built and signed it (the certificate's Run Invocation URI). */
    readonly runUrl?: string;
  };
  readonly layout?: 'legacy' | 'bundle';
  readonly transparencyLog?: { readonly logIndex: number; readonly integratedTime: string };
  /** False when only a cosign 3 bundle exists, which rpm-ostree/containers-image cannot see. */
  readonly visibleToOs?: boolean;
  /**
   * Present when verified: whether anything signed ties the digest to this repository (one identity
   * often signs every variant), and what: "the signature names …", or why nothing does.
   */
  readonly binding?: { readonly bound: boolean; readonly description: string };
  /** Present when failed or unchecked: a stable code and a plain-words message that says what to do. */
  readonly failure?: { readonly code: string; readonly message: string };
  readonly checkedAt?: string;
  /** When unchecked: the last time this digest verified, and who had signed it then. */
  readonly lastVerified?: { readonly checkedAt: string; readonly signedBy: string };
}

export type ImageTransport = 'signed' | 'unverified' | 'ostree-remote' | 'ostree' | 'other';

export interface DeploymentView {
  readonly id: string;
  /**
   * `pending`: not staged, yet the next restart boots it (after a rollback); `staged` deployments
   * held by the app (finalizationLocked) boot only from Restart now.
   */
  readonly role: 'booted' | 'staged' | 'pending' | 'rollback' | 'other';
  /** True on the one deployment a plain restart boots next. */
  readonly nextBoot?: boolean;
  readonly version?: string;
  /** When the image was built (ISO 8601). */
  readonly timestamp?: string;
  /** The origin exactly as rpm-ostree stores it, e.g. `ostree-image-signed:docker://ghcr.io/o/i:latest`. */
  readonly imageReference?: string;
  readonly transport: ImageTransport;
  readonly digest?: string;
  readonly pinned: boolean;
  /** Staged but held until the app finalizes it (app-enforced mode). */
  readonly finalizationLocked: boolean;
  readonly signature: SignatureView;
}

/** Who enforces signatures on this host, in the words the UI always shows. */
export interface EnforcementView {
  readonly mode: 'key-enforced' | 'app-enforced' | 'none';
  /** e.g. "Enforced by the OS (key vespera.pub)". */
  readonly summary: string;
  readonly detail: string;
  readonly keyPath?: string;
  /** When the next restart changes who enforces: how it is until then ("Not enforced: …"). */
  readonly untilRestart?: string;
}

export type HostHealth =
  | 'signed-current'
  | 'update-ready'
  | 'update-available'
  /** The next restart boots another deployment that is not an update (a rollback, a switch). */
  | 'restart-pending'
  | 'needs-attention'
  | 'unverified'
  /** Signatures could not be checked (offline, refused, misconfigured): no evidence either way. */
  | 'cannot-check'
  | 'checking'
  | 'busy'
  | 'no-daemon';

export type ActionId =
  | 'check-now'
  | 'restart-now'
  | 'discard-staged'
  | 'stage-update'
  | 'migrate'
  | 'rollback'
  | 'doctor'
  | 'open-details';

export interface Notice {
  readonly code: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly message: string;
  readonly action?: ActionId;
}

/** One side of a package change: `epoch:version-release` (the epoch only when set) and architecture. */
export interface PackageVersion {
  readonly evr: string;
  readonly arch: string;
}

/** One package that differs between two deployments: the one shape wherever a change appears (UI, CLI JSON). */
export interface PackageChange {
  readonly name: string;
  readonly change: 'added' | 'removed' | 'upgraded' | 'downgraded';
  /** Absent when added. */
  readonly from?: PackageVersion;
  /** Absent when removed. */
  readonly to?: PackageVersion;
  /** The headline group it belongs to (`kernel`, `NVIDIA`, …); headline packages come first. */
  readonly headline?: string;
}

/** What rpm-ostree says changes in the packages, between the running system and another deployment. */
export interface PackageChangesView {
  /**
   * `listed`: rpm-ostree compared the two deployments; `loading`: it is being asked; `not-staged`: the
   * update is not on this computer yet, so there is nothing to compare; `unavailable`: it could not be read.
   */
  readonly status: 'listed' | 'loading' | 'not-staged' | 'unavailable';
  /** Headline packages first (in the configured order), then upgraded, downgraded, added, removed. */
  readonly changes: readonly PackageChange[];
  readonly counts: { readonly added: number; readonly removed: number; readonly upgraded: number; readonly downgraded: number };
  /** The headline in one line: "kernel 6.17.8 → 6.17.9, NVIDIA 580.95.05 → 580.105.08, 20 more"; empty unless listed. */
  readonly summary: string;
  /** Every status but `listed` says here what it means and what to do. */
  readonly message?: string;
  /** Not staged yet: what rpm-ostree's cached update says about the image's layers. */
  readonly layers?: { readonly total: number; readonly new: number; readonly newBytes: number; readonly removed: number };
}

/** Where a build came from, as its signing certificate says (never the registry). */
export interface SourceChangeView {
  /**
   * `known`: the certificate names the commit; `key-only`: signed with a key only, which names no source;
   * `no-source`: no certificate names one (none has source extensions, or the image is not from a
   * registry); `unverified`: its signature failed, so nothing vouches for anything; `unchecked`: its
   * signature could not be checked (offline…), so nothing is known yet; `checking`: being checked.
   */
  readonly status: 'known' | 'key-only' | 'no-source' | 'unverified' | 'unchecked' | 'checking';
  /** "built from commit 7fb1b12 (running: d9ef04f)", or what stands in for it. */
  readonly summary: string;
  /** Where these facts come from, or why there are none. */
  readonly message: string;
  readonly repository?: string;
  readonly commit?: string;
  /** The commit the running system was built from, when its certificate names one in the same repository. */
  readonly runningCommit?: string;
  /** The forge's comparison of the running commit with this one. */
  readonly compareUrl?: string;
  /** The CI run that built it. */
  readonly runUrl?: string;
}

/** Everything that changes from the running system to another deployment or an update. */
export interface ChangesView {
  readonly from: { readonly deploymentId?: string; readonly version?: string; readonly digest?: string };
  readonly to: { readonly deploymentId?: string; readonly version?: string; readonly digest?: string };
  readonly packages: PackageChangesView;
  readonly source: SourceChangeView;
}

export interface UpdateView {
  /** `failed`: evidence that it is not what was signed; `unchecked`: it could not be checked. */
  readonly state: 'ready' | 'available' | 'failed' | 'unchecked';
  readonly version?: string;
  readonly timestamp?: string;
  readonly imageReference?: string;
  readonly digest: string;
  readonly signature: SignatureView;
  /** Layer counts and bytes from rpm-ostree's manifest diff, when the host provides them. */
  readonly download?: { readonly layers: number; readonly bytes: number };
  /** From the running system to this update: packages and source. */
  readonly changes?: ChangesView;
}

export interface TransactionView {
  readonly title: string;
  /** 0–100 when known. */
  readonly percent?: number;
  readonly message?: string;
  /** False when someone else (the automatic timer, a terminal) started it. */
  readonly ownedByApp: boolean;
}

export interface StatusSnapshot {
  readonly health: HostHealth;
  /** One plain sentence: "Signed update ready: restart to apply 42.20261125.0". */
  readonly headline: string;
  readonly detail?: string;
  readonly deployments: readonly DeploymentView[];
  readonly update?: UpdateView;
  readonly enforcement: EnforcementView;
  readonly transaction?: TransactionView;
  readonly automaticUpdatePolicy: 'none' | 'check' | 'stage' | 'apply' | 'unknown';
  readonly notices: readonly Notice[];
  /** What the user can do now, most useful first. */
  readonly actions: readonly ActionId[];
  readonly checkedAt?: string;
}

export interface PolicyChangeView {
  readonly path: string;
  readonly action: 'create' | 'modify';
  /** Unified diff of the file. */
  readonly diff: string;
}

export interface MigrationPreview {
  readonly planId: string;
  readonly from: string;
  /** Absent when the migration cannot run and there is no target to name. */
  readonly to?: string;
  readonly mode: 'key-enforced' | 'app-enforced';
  /** Why this mode, in plain words; absent when the migration cannot run. */
  readonly modeReason?: string;
  /** The verified image it switches to; absent when the migration cannot run before a target was found. */
  readonly target?: { readonly version?: string; readonly digest: string; readonly signature: SignatureView };
  readonly policyChanges: readonly PolicyChangeView[];
  readonly steps: readonly string[];
  readonly warnings: readonly string[];
  /** Choices the user can change and re-preview with. */
  readonly options: MigrationOptions;
  /**
   * What this mode lets the user choose, with main's own words; absent when the mode writes nothing
   * (app mode) or the migration cannot run, and then the UI offers no such choice.
   */
  readonly choices?: {
    readonly scope: readonly MigrationChoice<NonNullable<MigrationOptions['scope']>>[];
    readonly defaultPolicy: readonly MigrationChoice<NonNullable<MigrationOptions['defaultPolicy']>>[];
  };
  /** False with `blockedBy` when the migration cannot run (e.g. the target failed verification). */
  readonly canRun: boolean;
  readonly blockedBy?: string;
}

/** One option of the migration, as main describes it for this host. */
export interface MigrationChoice<T extends string> {
  readonly value: T;
  readonly label: string;
  readonly hint: string;
  /** False when this host's policy makes the choice impossible; `unavailableReason` says why in plain words. */
  readonly available: boolean;
  readonly unavailableReason?: string;
}

export interface MigrationOptions {
  readonly mode?: 'auto' | 'key' | 'app';
  /** `image`: exactly the image this computer runs; `per-variant`: it and its variants; `namespace`: everything under its owner. */
  readonly scope?: 'image' | 'per-variant' | 'namespace';
  readonly defaultPolicy?: 'reject' | 'keep';
}

export interface OperationOutcome {
  readonly ok: boolean;
  readonly message: string;
  /** Failure code when !ok (stable, for tests and the doctor). */
  readonly code?: string;
  /** What the host looks like after the operation, in words ("the host is exactly as it was"). */
  readonly hostState?: string;
  readonly rebootRequired?: boolean;
}

export interface RollbackPreview {
  readonly booted: DeploymentView;
  readonly target?: DeploymentView;
  /** A staged deployment that must be discarded before rolling back. */
  readonly blockedByStaged?: DeploymentView;
  /** From the running system to the rollback target: packages and source. */
  readonly changes?: ChangesView;
  /**
   * Whether the rollback can run as the host is now. When only `blockedByStaged` stands in the way
   * this is false, and the rollback runs with `discardStaged: true` once the user agrees.
   */
  readonly canRun: boolean;
  readonly blockedBy?: string;
}

export interface DoctorCheck {
  readonly id: string;
  readonly title: string;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly summary: string;
  readonly evidence: readonly string[];
  /** The exact fix when failed: words and, where there is one, a command. */
  readonly fix?: { readonly text: string; readonly command?: string };
}

export interface DoctorReport {
  readonly ranAt: string;
  readonly checks: readonly DoctorCheck[];
}

export interface Settings {
  readonly autostart: boolean;
  /** App-enforced mode: stage verified updates (held until restart) without asking. */
  readonly automaticStaging: boolean;
}

export type View = 'status' | 'details' | 'migration' | 'rollback' | 'doctor' | 'settings';

/** Every view, for checking a `navigate` payload or a window's `#view=` fragment. */
export const VIEW_NAMES: readonly View[] = ['status', 'details', 'migration', 'rollback', 'doctor', 'settings'];

export function isView(value: unknown): value is View {
  return typeof value === 'string' && (VIEW_NAMES as readonly string[]).includes(value);
}

export interface ProgressEvent {
  readonly operation: 'check' | 'stage' | 'migrate' | 'rollback' | 'discard' | 'restart' | 'doctor';
  /** A short step name ("Verifying the target image"). */
  readonly step: string;
  readonly message?: string;
  readonly percent?: number;
}

// ---------------------------------------------------------------------------------------------
// Commands (renderer → main, request/response) and events (main → renderer)
// ---------------------------------------------------------------------------------------------

export interface Commands {
  'status.get': { input: null; output: StatusSnapshot };
  'update.check': { input: null; output: OperationOutcome };
  'update.stage': { input: null; output: OperationOutcome };
  'update.restartNow': { input: null; output: OperationOutcome };
  'update.discardStaged': { input: null; output: OperationOutcome };
  'migration.preview': { input: MigrationOptions; output: MigrationPreview };
  'migration.run': { input: { planId: string }; output: OperationOutcome };
  'rollback.preview': { input: null; output: RollbackPreview };
  'rollback.run': { input: { discardStaged: boolean }; output: OperationOutcome };
  'host.reboot': { input: null; output: OperationOutcome };
  'doctor.run': { input: null; output: DoctorReport };
  'settings.get': { input: null; output: Settings };
  'settings.set': { input: Partial<Settings>; output: Settings };
}

export interface Events {
  'status.changed': StatusSnapshot;
  'operation.progress': ProgressEvent;
  /** Main asks the UI to show a view (a notification's Details button, the tray menu). */
  navigate: { view: View };
}

export type CommandName = keyof Commands;
export type EventName = keyof Events;
export type CommandInput<C extends CommandName> = Commands[C]['input'];
export type CommandOutput<C extends CommandName> = Commands[C]['output'];

/** IPC channel names are prefixed so nothing else in Electron can collide with them. */
export const CHANNEL_PREFIX = 'vespera:';

/**
 * What crosses the boundary for one invocation (IPC reply and web bridge body alike): errors travel as
 * data so the renderer gets the code and the plain-words message, never a stack or an Electron wrapper.
 */
export type InvokeResult<C extends CommandName> =
  | { readonly ok: true; readonly output: CommandOutput<C> }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** A failed command on the renderer's side of the boundary: the failure's words, and its code. */
export class CommandError extends Error {
  readonly code: string;
  constructor(failure: { readonly code: string; readonly message: string }) {
    super(failure.message);
    this.name = 'CommandError';
    this.code = failure.code;
  }
}

/** The output in an InvokeResult from main or the web bridge; throws CommandError for a failure or garbage. */
export function outputOfReply<C extends CommandName>(reply: unknown): CommandOutput<C> {
  if (typeof reply === 'object' && reply !== null) {
    const r = reply as { ok?: unknown; output?: unknown; error?: { code?: unknown; message?: unknown } };
    if (r.ok === true && 'output' in r) return r.output as CommandOutput<C>;
    if (r.ok === false && typeof r.error?.code === 'string' && typeof r.error.message === 'string') {
      throw new CommandError({ code: r.error.code, message: r.error.message });
    }
  }
  throw new CommandError({ code: 'bad-reply', message: 'Vespera Updates sent an answer this window cannot read. Restart the app.' });
}

/** The API preload exposes as `window.vespera` (and the web bridge provides in a browser). */
export interface VesperaApi {
  /** Resolves with the output; rejects with an Error whose message is the failure's plain words. */
  invoke<C extends CommandName>(command: C, input: CommandInput<C>): Promise<CommandOutput<C>>;
  /** Returns a function that removes the listener. */
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
}

// ---------------------------------------------------------------------------------------------
// Runtime validation of renderer input (main and the web bridge call this before anything else)
// ---------------------------------------------------------------------------------------------

export class ContractError extends Error {
  readonly code = 'invalid-input';
}

type Validator = (input: unknown) => unknown;

const nothing: Validator = (input) => {
  if (input !== null && input !== undefined) throw new ContractError('this command takes no input');
  return null;
};

function object(input: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ContractError('expected an object');
  if (Object.getPrototypeOf(input) !== Object.prototype) throw new ContractError('expected a plain object');
  for (const key of Object.keys(input)) if (!allowed.includes(key)) throw new ContractError(`unexpected field "${key}"`);
  return input as Record<string, unknown>;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ContractError(`${field} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ContractError(`${field} must be true or false`);
  return value;
}

const VALIDATORS: { readonly [C in CommandName]: Validator } = {
  'status.get': nothing,
  'update.check': nothing,
  'update.stage': nothing,
  'update.restartNow': nothing,
  'update.discardStaged': nothing,
  'migration.preview': (input) => {
    const o = object(input ?? {}, ['mode', 'scope', 'defaultPolicy']);
    const mode = oneOf(o.mode, ['auto', 'key', 'app'] as const, 'mode');
    const scope = oneOf(o.scope, ['image', 'per-variant', 'namespace'] as const, 'scope');
    const defaultPolicy = oneOf(o.defaultPolicy, ['reject', 'keep'] as const, 'defaultPolicy');
    return { ...(mode ? { mode } : {}), ...(scope ? { scope } : {}), ...(defaultPolicy ? { defaultPolicy } : {}) };
  },
  'migration.run': (input) => {
    const o = object(input, ['planId']);
    if (typeof o.planId !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(o.planId)) throw new ContractError('planId is not a plan id');
    return { planId: o.planId };
  },
  'rollback.preview': nothing,
  'rollback.run': (input) => {
    const o = object(input, ['discardStaged']);
    const discardStaged = optionalBoolean(o.discardStaged, 'discardStaged');
    if (discardStaged === undefined) throw new ContractError('discardStaged is required');
    return { discardStaged };
  },
  'host.reboot': nothing,
  'doctor.run': nothing,
  'settings.get': nothing,
  'settings.set': (input) => {
    const o = object(input, ['autostart', 'automaticStaging']);
    const autostart = optionalBoolean(o.autostart, 'autostart');
    const automaticStaging = optionalBoolean(o.automaticStaging, 'automaticStaging');
    return { ...(autostart !== undefined ? { autostart } : {}), ...(automaticStaging !== undefined ? { automaticStaging } : {}) };
  },
};

export const COMMAND_NAMES = Object.keys(VALIDATORS) as CommandName[];
export const EVENT_NAMES: readonly EventName[] = ['status.changed', 'operation.progress', 'navigate'];

export function isCommandName(value: unknown): value is CommandName {
  return typeof value === 'string' && Object.hasOwn(VALIDATORS, value);
}

/** Checks and normalises a renderer's input for `command`; throws ContractError when it is not valid. */
export function validateInput<C extends CommandName>(command: C, input: unknown): CommandInput<C> {
  return VALIDATORS[command](input) as CommandInput<C>;
}

/**
 * Validates a renderer's invocation and runs it on `backend`, turning every failure into an
 * InvokeResult: the one path by which the IPC handlers and the web bridge answer.
 */
export async function answerInvocation(backend: VesperaApi, command: unknown, input: unknown): Promise<InvokeResult<CommandName>> {
  if (!isCommandName(command)) return { ok: false, error: { code: 'unknown-command', message: 'There is no such command.' } };
  try {
    const valid = validateInput(command, input);
    return { ok: true, output: await backend.invoke(command, valid) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: { code: typeof code === 'string' ? code : 'unknown', message } };
  }
}
