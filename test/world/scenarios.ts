// Named starting states of the world. A scenario says what the registry serves and, as later parts
// arrive, what the host runs and how its /etc looks. `world run --scenario NAME` picks one.

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** Tags moved after the catalog is pushed: `repository:tag` → version. */
  readonly retag?: Readonly<Record<string, string>>;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'default',
    description: 'The registry serves the Vespera catalog; latest is the current build.',
  },
  {
    name: 'newer-latest',
    description: 'The publisher has pushed a newer vespera-nvidia build and moved latest to it.',
    retag: { 'acme/vespera-nvidia:latest': '42.20261125.0' },
  },
];

export function findScenario(name: string): Scenario {
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (!scenario) {
    throw new Error(`no scenario named "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return scenario;
}
