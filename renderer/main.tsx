// The renderer's entry point: connects to main (preload or web bridge) and renders the app into
// #app. index.html loads it as an external module, so the strict CSP needs no exception.

import { render } from 'preact';
import { App } from './app.tsx';
import { connect } from './connection.ts';
import { Disconnected } from './views/disconnected.tsx';
import './styles.css';

const root = document.getElementById('app');
if (root) {
  const connection = connect(window);
  render(connection.kind === 'connected' ? <App api={connection.api} initialView={connection.initialView} /> : <Disconnected />, root);
}
