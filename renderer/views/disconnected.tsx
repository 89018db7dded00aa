// What a plain browser sees when it opens the UI with no way to reach the app: no preload API and
// no web-bridge token. Says where the working window is.

export function Disconnected() {
  return (
    <main class="content disconnected">
      <h1>Vespera Updates is not connected</h1>
      <p>This page is the Vespera Updates window, but it has no connection to the app.</p>
      <ul>
        <li>On a Fedora Atomic computer, open it from the Vespera Updates icon in the tray or the app launcher.</li>
        <li>
          Elsewhere, run <code class="mono">npm run demo -- --web</code> and open the address it prints; the address carries the key
          this page needs.
        </li>
      </ul>
    </main>
  );
}
