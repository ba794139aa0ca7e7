import nodePath from "node:path";
import { strictEqual } from "node:assert/strict";
import * as path from "../src/path.ts";
import { posix, win32 } from "../src/path.ts";

const POSIX_CASES = [
  "",
  ".",
  "..",
  "/",
  "//",
  "///",
  "a",
  "a/",
  "a//",
  "/a",
  "/a/",
  "//a",
  "///a",
  "//a/b",
  "a/b",
  "a//b",
  "/a//b",
  "a/b/",
  "a/b//",
  "./a",
  "./a/./b/.",
  "a/./b",
  "a/../b",
  "a/..",
  "a/../",
  "../a",
  "../a/..",
  "../../a/b/../c",
  "/..",
  "/../..",
  "/../a",
  "/a/../../b",
  "/a/b/../../..",
  "a/b/../../..",
  "a/b/../../../",
  "..a/b..",
  "...",
  "/.../..",
  ".a/.b",
  "a\\b",
  "C:\\a",
  "Straße/日本語/✓.md",
  "/p/PKG-01_Field/1_Working/DEL-01-02_Flow",
  "/p/PKG-01_Field/1_Working/DEL-01-02_Flow/",
  "/p/_Decomposition/X.md",
  "/p/PKG-01_Field/0_References/vendor.txt",
  "/home/ü/é/../ñ",
  "\u{1F600}/x/../\u{1F600}",
];

const WIN32_CASES = [
  "",
  ".",
  "..",
  "\\",
  "/",
  "\\\\",
  "a",
  "a\\",
  "a/b\\c",
  "\\a",
  "/a/",
  "C:",
  "c:",
  "C:\\",
  "C:/",
  "C:a",
  "C:a\\..",
  "C:a\\..\\..",
  "C:\\a\\..\\..",
  "C:/a/b/",
  "C:\\a\\\\b\\.\\c",
  "C:\\..",
  "D:\\Straße\\日本語\\..\\✓.md",
  "\\\\server",
  "\\\\server\\share",
  "\\\\server\\share\\",
  "\\\\server\\share\\a\\..",
  "\\\\server\\share\\a\\..\\..\\b",
  "//server/share/x/",
  "\\\\server\\\\share\\x",
  "..\\a\\..",
  "a\\b\\..\\..\\..\\",
  "1:\\a",
  "a\\..\\C:",
  ".\\C:x",
  ".\\ab:c\\d",
];

function check(name: string, actual: unknown, expected: unknown) {
  strictEqual(actual, expected, name);
}

Deno.test("posix normalize, dirname, basename, isAbsolute equal node:path.posix", () => {
  for (const p of POSIX_CASES) {
    const s = JSON.stringify(p);
    check(`normalize(${s})`, posix.normalize(p), nodePath.posix.normalize(p));
    check(`dirname(${s})`, posix.dirname(p), nodePath.posix.dirname(p));
    check(`basename(${s})`, posix.basename(p), nodePath.posix.basename(p));
    check(`isAbsolute(${s})`, posix.isAbsolute(p), nodePath.posix.isAbsolute(p));
  }
});

Deno.test("posix join, resolve, relative equal node:path.posix on every pair of cases", () => {
  const extra = ["/tmp", "/tmp/x", "/tmp/x/y", "/tmp/xy", "/tmp/x/../y", "/"];
  const cases = [...POSIX_CASES, ...extra];
  for (const a of cases) {
    check(`resolve(${JSON.stringify(a)})`, posix.resolve(a), nodePath.posix.resolve(a));
    for (const b of cases) {
      const s = `${JSON.stringify(a)}, ${JSON.stringify(b)}`;
      check(`join(${s})`, posix.join(a, b), nodePath.posix.join(a, b));
      check(`resolve(${s})`, posix.resolve(a, b), nodePath.posix.resolve(a, b));
      check(`relative(${s})`, posix.relative(a, b), nodePath.posix.relative(a, b));
    }
  }
  check("join()", posix.join(), nodePath.posix.join());
  check("join('', '')", posix.join("", ""), nodePath.posix.join("", ""));
  check("resolve()", posix.resolve(), nodePath.posix.resolve());
  check(
    "resolve 3",
    posix.resolve("/p", "a/./b", "../c/"),
    nodePath.posix.resolve("/p", "a/./b", "../c/"),
  );
  check("join 4", posix.join("a", "", "../..", "b/"), nodePath.posix.join("a", "", "../..", "b/"));
});

Deno.test("posix relative between siblings, to ancestors and descendants", () => {
  const pairs: [string, string, string][] = [
    ["/p/PKG-01/1_Working/DEL-01", "/p/_Decomposition/X.md", "../../../_Decomposition/X.md"],
    ["/p/a", "/p/b", "../b"],
    ["/p/a", "/p/a/b/c", "b/c"],
    ["/p/a/b/c", "/p", "../../.."],
    ["/p/a", "/p/a", ""],
    ["/p/a/", "/p/a", ""],
    ["/", "/p", "p"],
    ["/p", "/", ".."],
    ["/p/ab", "/p/a", "../a"],
    ["/p/a", "/p/ab", "../ab"],
    ["/ü/é", "/ü/ñ/✓", "../ñ/✓"],
  ];
  for (const [from, to, expected] of pairs) {
    check(`relative(${from}, ${to})`, posix.relative(from, to), expected);
    check(`node relative(${from}, ${to})`, nodePath.posix.relative(from, to), expected);
  }
});

Deno.test("posix agrees with node:path.posix on random paths", () => {
  const parts = ["a", "b", "..", ".", "", "ü", "x.md", "..."];
  const random = () => {
    const n = Math.floor(Math.random() * 6);
    const segs = Array.from({ length: n }, () => parts[Math.floor(Math.random() * parts.length)]);
    return (Math.random() < 0.5 ? "/" : "") + segs.join("/") + (Math.random() < 0.2 ? "/" : "");
  };
  for (let i = 0; i < 5000; i++) {
    const a = random();
    const b = random();
    const s = `${JSON.stringify(a)}, ${JSON.stringify(b)}`;
    check(`normalize(${JSON.stringify(a)})`, posix.normalize(a), nodePath.posix.normalize(a));
    check(`dirname(${JSON.stringify(a)})`, posix.dirname(a), nodePath.posix.dirname(a));
    check(`basename(${JSON.stringify(a)})`, posix.basename(a), nodePath.posix.basename(a));
    check(`join(${s})`, posix.join(a, b), nodePath.posix.join(a, b));
    check(`resolve(${s})`, posix.resolve(a, b), nodePath.posix.resolve(a, b));
    check(`relative(${s})`, posix.relative(a, b), nodePath.posix.relative(a, b));
  }
});

Deno.test("win32 normalize, dirname, basename, isAbsolute, join equal node:path.win32", () => {
  for (const p of WIN32_CASES) {
    const s = JSON.stringify(p);
    check(`normalize(${s})`, win32.normalize(p), nodePath.win32.normalize(p));
    check(`dirname(${s})`, win32.dirname(p), nodePath.win32.dirname(p));
    check(`basename(${s})`, win32.basename(p), nodePath.win32.basename(p));
    check(`isAbsolute(${s})`, win32.isAbsolute(p), nodePath.win32.isAbsolute(p));
    for (const q of WIN32_CASES) {
      // A drive-like segment (`C:`) after a relative path names a file `C:`; node:path's
      // quirks there (`join("a\\..\\C:", "..")` is `.\\.`) are not copied.
      if (!/^[A-Za-z]:/.test(p) && (p + q).includes(":")) continue;
      check(`join(${s}, ${JSON.stringify(q)})`, win32.join(p, q), nodePath.win32.join(p, q));
    }
  }
});

Deno.test("win32 resolve and relative equal node:path.win32 for absolute paths", () => {
  const absolute = [
    "C:\\",
    "C:\\a",
    "c:\\A\\b",
    "C:/a/b/../c/",
    "D:\\x\\y",
    "\\\\server\\share",
    "\\\\server\\share\\a\\b",
    "\\\\SERVER\\Share\\a\\c",
    "\\\\other\\share\\a",
    "C:\\Straße\\日本語",
  ];
  const relativeParts = ["", "x", "..\\..\\..", "\\rooted", "a/./b\\..\\c", "C:rel", "D:rel\\.."];
  for (const a of absolute) {
    for (const r of relativeParts) {
      const s = `${JSON.stringify(a)}, ${JSON.stringify(r)}`;
      // A drive-relative part of another drive depends on the process's per-drive folders.
      const drive = /^[A-Za-z]:/.exec(r)?.[0];
      if (drive && !a.toLowerCase().startsWith(drive.toLowerCase())) continue;
      check(`resolve(${s})`, win32.resolve(a, r), nodePath.win32.resolve(a, r));
    }
    for (const b of absolute) {
      const s = `${JSON.stringify(a)}, ${JSON.stringify(b)}`;
      check(`relative(${s})`, win32.relative(a, b), nodePath.win32.relative(a, b));
    }
  }
  check("relative case", win32.relative("C:\\a\\B", "c:\\A\\c"), "..\\c");
  check("relative drives", win32.relative("C:\\a", "D:\\b"), "D:\\b");
  check("resolve rooted", win32.resolve("C:\\x", "\\y"), "C:\\y");
});

Deno.test("toPosix: / separators on Windows, the path unchanged on POSIX", () => {
  check("win32", win32.toPosix("..\\..\\_Decomposition\\X.md"), "../../_Decomposition/X.md");
  check("win32 mixed", win32.toPosix("a/b\\c"), "a/b/c");
  check("posix", posix.toPosix("a\\b/c"), "a\\b/c");
});

Deno.test("the top-level functions follow the platform", () => {
  const flavour = Deno.build.os === "windows" ? win32 : posix;
  const node = Deno.build.os === "windows" ? nodePath.win32 : nodePath.posix;
  strictEqual(path.sep, node.sep);
  for (const p of ["a/b/../c", "/x/y/", ".."]) {
    strictEqual(path.normalize(p), flavour.normalize(p));
    strictEqual(path.dirname(p), node.dirname(p));
    strictEqual(path.basename(p), node.basename(p));
    strictEqual(path.isAbsolute(p), node.isAbsolute(p));
    strictEqual(path.join(p, "q"), node.join(p, "q"));
    strictEqual(path.resolve(p), node.resolve(p));
    strictEqual(path.relative(p, "/x"), node.relative(p, "/x"));
  }
  strictEqual(path.resolve(), Deno.cwd());
});
