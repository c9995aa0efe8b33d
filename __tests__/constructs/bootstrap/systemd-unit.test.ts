import { renderSystemdUnit, type SystemdUnit } from "../../../constructs/bootstrap/systemd-unit";
import { consulUnit, consulUnitText } from "../../support/sample-units";

describe("renderSystemdUnit", () => {
  it("renders a unit exactly", () => {
    expect(renderSystemdUnit(consulUnit)).toBe(consulUnitText);
  });

  it("orders sections Unit, Service, Path, Timer, Install whatever the object order", () => {
    const text = renderSystemdUnit({
      Install: { WantedBy: "timers.target" },
      Timer: { OnCalendar: "daily" },
      Path: { PathChanged: "/etc/consul.d" },
      Service: { Type: "oneshot" },
      Unit: { Description: "x" },
    });
    expect(text.match(/^\[\w+\]$/gm)).toEqual(["[Unit]", "[Service]", "[Path]", "[Timer]", "[Install]"]);
    expect(text.endsWith("\n")).toBe(true);
    expect(text.endsWith("\n\n")).toBe(false);
  });

  it("writes arrays as repeated keys in order, keeping empty strings as list resets", () => {
    const text = renderSystemdUnit({
      Unit: { Description: "x" },
      Service: { ExecStartPre: ["", "/usr/bin/b", "/usr/bin/a"], Environment: [] },
    });
    expect(text).toBe(
      "[Unit]\nDescription=x\n\n[Service]\nExecStartPre=\nExecStartPre=/usr/bin/b\nExecStartPre=/usr/bin/a\n",
    );
  });

  it.each([
    ["a newline", "/usr/bin/consul\nExecStartPost=/bin/sh -c evil"],
    ["a carriage return", "a\rb"],
    ["a NUL", "a\0b"],
    ["a trailing backslash", "/usr/bin/consul \\"],
  ])("rejects a value containing %s, naming section and key", (_what, value) => {
    expect(() => renderSystemdUnit({ Unit: { Description: "x" }, Service: { ExecStart: value } })).toThrow(
      /\[Service\] ExecStart/,
    );
  });

  it("names the array index of a bad list item", () => {
    expect(() => renderSystemdUnit({ Unit: { After: ["a.target", "b\n.target"] } })).toThrow(/\[Unit\] After\[1\]/);
  });

  it.each(["Exec Start", "Exec_Start", "ExecStart=x", "", "Ünit"])("rejects the key %j", (key) => {
    expect(() => renderSystemdUnit({ Unit: { Description: "x" }, Service: { [key]: "v" } })).toThrow(
      /systemd unit \[Service\]: invalid key/,
    );
  });

  it("rejects non-finite numbers and sections the type does not know", () => {
    expect(() => renderSystemdUnit({ Unit: { RestartSec: Number.NaN } })).toThrow(/\[Unit\] RestartSec/);
    expect(() => renderSystemdUnit({ Unit: {}, Socket: { ListenStream: "1" } } as unknown as SystemdUnit)).toThrow(
      /\[Socket\]/,
    );
  });
});
