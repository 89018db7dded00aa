// `npm run demo`: the whole app on the test world (stand-in rpm-ostreed, registry, signed images).
// The tray app and its web bridge arrive with the app layer; until then this says so.

console.error('vespera-updates demo: the tray app is not part of this build yet; the test world alone runs with: npm run world -- up');
process.exit(1);
