#!/usr/bin/env -S node --max-old-space-size=256 --max-semi-space-size=4
// Runs the compiled CLI; `npm install` builds dist/ through the `prepare` script.
// The old-space cap keeps V8 from growing the heap lazily under a high allocation rate: the live set is
// small, and without it RSS drifts past 350 MB during a large backlog (bench/backlog.ts).
// The young generation is held at 4 MB per semi-space (V8's default grows to 16): request bodies over 128 KB are
// young large objects, freed only by a young collection, and ingest allocates little else per request, so with
// the larger space they piled up until V8 started full collections instead, two a second at 8K events/s of
// 1.4 KB events. At 4 MB young collections come often enough that almost none ran. In one pair of bench runs
// (bench/ingest.ts), p99 acknowledgement at half the ingest rate went 62 -> 42 ms (1.4 KB events) and 64 -> 38 ms
// (compact), and peak RSS 216 -> 184 MB. The cost: delivery allocates more, and end to end took 8-15% more CPU
// per event. To trade back, run `node --max-old-space-size=256 dist/cli/main.js start` (NODE_OPTIONS cannot undo
// a flag given on the command line). package.json's start script passes the same flags.
import '../dist/cli/main.js';
