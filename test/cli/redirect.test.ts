import { describe, expect, it } from "vitest";
import type { ControllerRecord } from "../../src/client/store/store.js";
import { findKnownController, redirectMessage, type RedirectTarget } from "../../src/cli/redirect.js";

const FP = "93:73:88:C9:9A:AA:EC:C8:85:AE:D1:33:E5:92:CE:95:0F:B6:00:82:21:CB:8C:A0:42:16:29:77:CF:6D:B6:D4";

const redirect: RedirectTarget = {
  modelName: "migrate",
  modelOwner: "admin",
  controllerUuid: "uuid-dst",
  controllerName: "dst",
  addresses: ["10.0.0.5:17070"],
  caCert: "",
  caFingerprint: FP,
};

function rec(over: Partial<ControllerRecord>): ControllerRecord {
  return { uuid: "uuid-other", apiEndpoints: ["10.9.9.9:17070"], caCert: "", caFingerprint: "00:11", ...over };
}

describe("redirectMessage", () => {
  it("(a) names the known controller and the switch command", () => {
    const msg = redirectMessage(redirect, { src: rec({ uuid: "uuid-src" }), dst: rec({ uuid: "uuid-dst" }) });
    expect(msg).toBe(
      'ERROR Model "migrate" has been migrated to controller "dst".\n' + "To access it run 'ferry switch dst:migrate'.",
    );
  });

  it("(a) uses the client's own name for the controller", () => {
    const msg = redirectMessage(redirect, { "my-dst": rec({ uuid: "uuid-dst" }) });
    expect(msg).toBe(
      'ERROR Model "migrate" has been migrated to controller "my-dst".\n' +
        "To access it run 'ferry switch my-dst:migrate'.",
    );
  });

  it("(b) lists a login line per address and the fingerprint when unknown", () => {
    const msg = redirectMessage({ ...redirect, addresses: ["10.0.0.5:17070", "10.0.0.6:17070"] }, { src: rec({}) });
    expect(msg).toBe(
      [
        'ERROR Model "migrate" has been migrated to another controller.',
        "To access it run one of the following commands (you can replace the -c argument with your own preferred controller name):",
        "  'ferry login 10.0.0.5:17070 -c dst'",
        "  'ferry login 10.0.0.6:17070 -c dst'",
        "",
        `New controller fingerprint [${FP}]`,
      ].join("\n"),
    );
  });

  it("(b) exactly as in migration.md for one address", () => {
    expect(redirectMessage(redirect, {})).toBe(`ERROR Model "migrate" has been migrated to another controller.
To access it run one of the following commands (you can replace the -c argument with your own preferred controller name):
  'ferry login 10.0.0.5:17070 -c dst'

New controller fingerprint [93:73:88:C9:9A:AA:EC:C8:85:AE:D1:33:E5:92:CE:95:0F:B6:00:82:21:CB:8C:A0:42:16:29:77:CF:6D:B6:D4]`);
  });

  it("qualifies another owner's model in the switch command", () => {
    const msg = redirectMessage(redirect, { dst: rec({ uuid: "uuid-dst" }) }, () => "bob");
    expect(msg).toContain("'ferry switch dst:admin/migrate'");
  });
});

describe("findKnownController", () => {
  it("matches on UUID first, then CA fingerprint, then a shared address", () => {
    const byAddr = rec({ apiEndpoints: ["10.0.0.5:17070"] });
    const byFp = rec({ caFingerprint: FP.toLowerCase() });
    const byUuid = rec({ uuid: "uuid-dst" });
    expect(findKnownController(redirect, { a: byAddr, b: byFp, c: byUuid })).toBe("c");
    expect(findKnownController(redirect, { a: byAddr, b: byFp })).toBe("b");
    expect(findKnownController(redirect, { a: byAddr })).toBe("a");
    expect(findKnownController(redirect, { z: rec({}) })).toBeUndefined();
  });
});
