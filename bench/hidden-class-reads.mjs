// node bench/hidden-class-reads.mjs: what one property read costs on objects that each have a hidden class of their
// own, as Express makes every req/res (it sets their prototype per request), plain against Reflect.get; and on objects
// that share one class, for comparison. Nanoseconds per read, the last of three rounds.
const proto = Object.create(Object.prototype, { app: { configurable: true, enumerable: true, writable: true, value: {} } });
function make(ownClass) {
  const object = { a: 1, b: 2, c: 3 };
  if (ownClass) Object.setPrototypeOf(object, proto); // what Express's init layer does to every req
  object.user = { id: 1 };
  return object;
}
const objects = { 'a class each': Array.from({ length: 20000 }, () => make(true)), 'one shared class': Array.from({ length: 20000 }, () => make(false)) };
const reads = {
  'plain, own (req.user)': (o) => o.user,
  'plain, inherited (req.app)': (o) => o.app,
  'plain, absent (req.auth)': (o) => o.auth,
  'Reflect.get, own': (o) => Reflect.get(o, 'user'),
  'Reflect.get, inherited': (o) => Reflect.get(o, 'app'),
  'Reflect.get, absent': (o) => Reflect.get(o, 'auth'),
};
for (const [kind, list] of Object.entries(objects)) {
  for (const [name, read] of Object.entries(reads)) {
    let ns = 0;
    for (let round = 0; round < 3; round++) {
      let sink = 0;
      const start = process.hrtime.bigint();
      for (let r = 0; r < 10; r++) for (let i = 0; i < list.length; i++) if (read(list[i]) !== undefined) sink++;
      ns = Number(process.hrtime.bigint() - start) / (10 * list.length);
      if (sink < 0) console.log(sink);
    }
    console.log(`${kind.padEnd(16)} ${name.padEnd(26)} ${ns.toFixed(1)} ns/read`);
  }
}
