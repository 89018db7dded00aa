// Page objects for the renderer: what a user sees and does, found by role and accessible name, so
// the same objects drive the fixture-bridge tests and the end-to-end tests through the web bridge.

import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** Waits until the locator's text contains `expected` (or matches it), and returns the text. */
export async function expectText(locator: Locator, expected: string | RegExp, timeout = 10_000): Promise<string> {
  await locator.first().waitFor({ state: 'visible', timeout });
  await expect
    .poll(async () => (await locator.first().innerText()).replace(/\s+/g, ' ').trim(), { timeout })
    .toMatch(typeof expected === 'string' ? new RegExp(expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : expected);
  return (await locator.first().innerText()).replace(/\s+/g, ' ').trim();
}

/** How many times `words` appear in `text`, spacing aside: for "said once" checks. */
export function occurrences(text: string, words: string): number {
  return text.replace(/\s+/g, ' ').split(words.replace(/\s+/g, ' ')).length - 1;
}

export async function expectVisible(locator: Locator, timeout = 10_000): Promise<void> {
  await locator.first().waitFor({ state: 'visible', timeout });
}

export async function expectHidden(locator: Locator, timeout = 10_000): Promise<void> {
  await locator.first().waitFor({ state: 'hidden', timeout });
}

/** The whole window: header, navigation and whichever view is showing. */
export class AppPage {
  readonly page: Page;
  readonly status: StatusPage;
  readonly details: UpdateDetailsPage;
  readonly migration: MigrationWizardPage;
  readonly rollback: RollbackWizardPage;
  readonly doctor: DoctorPage;
  readonly settings: SettingsPage;

  constructor(page: Page) {
    this.page = page;
    this.status = new StatusPage(this);
    this.details = new UpdateDetailsPage(this);
    this.migration = new MigrationWizardPage(this);
    this.rollback = new RollbackWizardPage(this);
    this.doctor = new DoctorPage(this);
    this.settings = new SettingsPage(this);
  }

  /** The visible view's container; hidden (kept) views are never matched. */
  view(): Locator {
    return this.page.locator('.view:not([hidden])');
  }

  /** The visible view's h1. */
  heading(): Locator {
    return this.view().getByRole('heading', { level: 1 });
  }

  /** The shell's polite live region: what a screen reader hears when the host's state changes. */
  announcer(): Locator {
    return this.page.locator('.shell > [aria-live="polite"]');
  }

  /** The "who enforces" line every view shows in the header. */
  enforcementLine(): Locator {
    return this.page.getByRole('banner').locator('.enforcement-line');
  }

  navButton(name: 'Status' | 'Update' | 'Doctor' | 'Settings'): Locator {
    return this.page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: false });
  }

  async open(name: 'Status' | 'Update' | 'Doctor' | 'Settings'): Promise<void> {
    await this.navButton(name).click();
  }

  /** Which view is showing, by its data-view name ('status', 'migration', …). */
  currentView(): Promise<string | null> {
    return this.view().getAttribute('data-view');
  }

  /** Presses Tab until the focused element is the one with this role and name; fails after `limit`. */
  async tabTo(role: 'button' | 'radio' | 'checkbox' | 'switch' | 'link', name: string | RegExp, limit = 60): Promise<void> {
    const target = this.page.getByRole(role, { name }).first();
    for (let presses = 0; presses < limit; presses += 1) {
      await this.page.keyboard.press('Tab');
      if (await target.evaluate((element) => element.ownerDocument.activeElement === element).catch(() => false)) return;
    }
    throw new Error(`Tab never reached the ${role} "${String(name)}" within ${limit} presses`);
  }
}

export class StatusPage {
  readonly #app: AppPage;

  constructor(app: AppPage) {
    this.#app = app;
  }

  headline(): Locator {
    return this.#app.page.locator('[data-view="status"] h1');
  }

  /** The short state name above the headline ("Signed and up to date"). */
  state(): Locator {
    return this.#app.page.locator('[data-view="status"] .headline-state');
  }

  /** A deployment card by its title: "Running now", "Next restart", "Rollback". */
  deployment(title: string): Locator {
    return this.#app.view().getByRole('article', { name: title });
  }

  signatureBadge(card: Locator): Locator {
    return card.locator('[data-signature]');
  }

  enforcementSection(): Locator {
    return this.#app.view().getByRole('region', { name: 'Who enforces signatures' });
  }

  action(name: string | RegExp): Locator {
    return this.#app.view().getByRole('group', { name: 'What you can do' }).getByRole('button', { name });
  }

  notices(): Locator {
    return this.#app.view().locator('[data-notice]');
  }
}

/** The "Where it comes from" and "Package changes" cards of the update details and the rollback preview. */
export class ChangesCards {
  readonly #root: () => Locator;

  constructor(root: () => Locator) {
    this.#root = root;
  }

  source(): Locator {
    return this.#root().getByRole('region', { name: 'Where it comes from' });
  }

  packages(): Locator {
    return this.#root().getByRole('region', { name: 'Package changes', exact: true });
  }

  /** Package names in the order the table lists them. */
  async packageOrder(): Promise<string[]> {
    return await this.packages()
      .locator('tr[data-package]')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-package') ?? ''));
  }

  /** The table's group headings in order: headline labels, then "Other packages". */
  async groups(): Promise<string[]> {
    return await this.packages()
      .locator('tbody[data-group]')
      .evaluateAll((groups) => groups.map((group) => group.getAttribute('data-group') ?? ''));
  }
}

export class UpdateDetailsPage {
  readonly #app: AppPage;
  readonly changes: ChangesCards;

  constructor(app: AppPage) {
    this.#app = app;
    this.changes = new ChangesCards(() => this.#app.view());
  }

  summary(): Locator {
    return this.#app.view().locator('[data-update]');
  }

  action(name: string | RegExp): Locator {
    return this.#app.view().getByRole('group', { name: 'Update actions' }).getByRole('button', { name });
  }

  signature(): Locator {
    return this.#app.view().getByRole('region', { name: 'Signature', exact: true });
  }
}

/** What both wizards share: steps, navigation buttons, progress and outcome. */
class WizardPage {
  protected readonly app: AppPage;
  readonly #name: string;

  constructor(app: AppPage, name: string) {
    this.app = app;
    this.#name = name;
  }

  root(): Locator {
    return this.app.page.locator(`[data-view="${this.#name}"]`);
  }

  /** The current step's name from the step indicator: Preview, Confirm, Apply, Done. */
  async currentStep(): Promise<string> {
    const text = await this.root().locator('[aria-current="step"]').innerText();
    return text.replace(/^\d+\s*/, '').trim();
  }

  async expectStep(step: 'Preview' | 'Confirm' | 'Apply' | 'Done', timeout = 10_000): Promise<void> {
    await expect.poll(() => this.currentStep(), { timeout }).toBe(step);
  }

  stepHeading(): Locator {
    return this.root().getByRole('heading', { level: 2 }).first();
  }

  button(name: string | RegExp): Locator {
    return this.root().getByRole('button', { name });
  }

  /** The live line saying which step of the operation runs now. */
  progressLine(): Locator {
    return this.root().locator('.current-step');
  }

  outcome(): Locator {
    return this.root().locator('.outcome');
  }

  hostState(): Locator {
    return this.root().locator('.host-state');
  }
}

export class MigrationWizardPage extends WizardPage {
  constructor(app: AppPage) {
    super(app, 'migration');
  }

  /** Waits for a preview on screen: one that can run (with its target) or one that says why not. */
  async waitForPreview(): Promise<void> {
    await expectVisible(this.root().locator('[data-preview]'));
    await expect.poll(() => this.root().locator('[aria-busy="true"]').count()).toBe(0);
  }

  /** The rows of the From/To list, as "From …" and "To …". */
  async fromTo(): Promise<string[]> {
    return await this.root()
      .locator('.from-to dt')
      .evaluateAll((terms) => terms.map((term) => `${term.textContent ?? ''} ${term.nextElementSibling?.textContent ?? ''}`));
  }

  /** An option group of the Options form by its legend ("Rule covers", "Images no rule covers"). */
  optionGroup(legend: string): Locator {
    return this.root().getByRole('group', { name: legend, exact: true });
  }

  /** From the status view: open the wizard, take the preview as it is, and confirm the switch. */
  async confirmFromStatus(): Promise<void> {
    await this.app.status.action('Switch to a signed image…').click();
    await this.waitForPreview();
    await this.button('Continue').click();
    await this.button('Switch to the signed image').click();
  }

  mode(): Locator {
    return this.root().locator('#migration-mode-heading');
  }

  policyFiles(): Locator {
    return this.root().getByRole('region', { name: 'Files it writes' });
  }

  option(label: string): Locator {
    return this.root().getByRole('radio', { name: label, exact: true });
  }
}

export class RollbackWizardPage extends WizardPage {
  readonly changes: ChangesCards;

  constructor(app: AppPage) {
    super(app, 'rollback');
    this.changes = new ChangesCards(() => this.root());
  }

  card(title: 'Running now' | 'After rolling back'): Locator {
    return this.root().getByRole('article', { name: title });
  }

  stagedBlock(): Locator {
    return this.root().getByRole('group', { name: 'A staged update is in the way' });
  }

  discardStaged(): Locator {
    return this.root().getByRole('checkbox', { name: /Discard the staged update/ });
  }

  packages(): Locator {
    return this.root().getByRole('table');
  }
}

export class DoctorPage {
  readonly #app: AppPage;

  constructor(app: AppPage) {
    this.#app = app;
  }

  check(id: string): Locator {
    return this.#app.view().locator(`[data-check="${id}"]`);
  }

  summary(): Locator {
    return this.#app.view().locator('.doctor-summary');
  }
}

export class SettingsPage {
  readonly #app: AppPage;

  constructor(app: AppPage) {
    this.#app = app;
  }

  toggle(name: string | RegExp): Locator {
    return this.#app.view().getByRole('switch', { name });
  }
}
