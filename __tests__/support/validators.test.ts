import { renderSystemdUnit } from "../../constructs/bootstrap/systemd-unit";
import { consulUnit, consulUnitText } from "./sample-units";
import { itWithTool, shellcheck, shellchecks, validateSystemdUnits } from "./validators";

describe("validateSystemdUnits", () => {
  const units = {
    "consul.service": renderSystemdUnit(consulUnit),
    "consul.service.d/10-limits.conf": renderSystemdUnit({ Unit: {}, Service: { LimitNOFILE: 131072 } }),
    "envoy.service": renderSystemdUnit({
      Unit: { Description: "Envoy mesh gateway", Requires: "consul.service", After: "consul.service" },
      Service: { ExecStart: "/usr/bin/envoy --config-path /etc/envoy/envoy.yaml", Restart: "always" },
      Install: { WantedBy: "multi-user.target" },
    }),
    "consul-reload.path": renderSystemdUnit({
      Unit: { Description: "Reload Consul on configuration changes" },
      Path: { PathChanged: "/etc/consul.d/consul.hcl", Unit: "consul-reload.service" },
      Install: { WantedBy: "multi-user.target" },
    }),
    "consul-reload.service": renderSystemdUnit({
      Unit: { Description: "Reload Consul" },
      Service: { Type: "oneshot", ExecStart: "/usr/bin/systemctl reload consul.service" },
    }),
    "consul-snapshot.timer": renderSystemdUnit({
      Unit: { Description: "Daily Consul snapshot" },
      Timer: { OnCalendar: "daily", Persistent: true, Unit: "consul-reload.service" },
      Install: { WantedBy: "timers.target" },
    }),
  };

  itWithTool("systemd-analyze", "accepts valid units that use VM-only binaries and files", () => {
    expect(validateSystemdUnits(units)).toEqual([]);
  });

  itWithTool("systemd-analyze", "reports a misspelt key, an invalid value and an unknown section", () => {
    const bad = consulUnitText
      .replace("ExecReload=", "ExecRelaod=")
      .replace("Restart=on-failure", "Restart=sometimes")
      .replace("[Install]", "[Instal]");
    expect(validateSystemdUnits({ "consul.service": bad })).toEqual([
      expect.stringMatching(/^consul\.service:\d+: Unknown key 'ExecRelaod' in section \[Service\]/),
      expect.stringMatching(/^consul\.service:\d+: Failed to parse service restart specifier.*sometimes/),
      expect.stringMatching(/^consul\.service:\d+: Unknown section 'Instal'/),
    ]);
  });

  itWithTool("systemd-analyze", "reports problems in drop-ins and executables not covered by stubs", () => {
    const findings = validateSystemdUnits({
      "consul.service": consulUnitText,
      "consul.service.d/override.conf": "[Service]\nExecStrat=/usr/bin/consul\n",
      "vault.service": "[Unit]\nDescription=v\n\n[Service]\nExecStart=/usr/bin/vault server\n",
    });
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^consul\.service\.d\/override\.conf:2: Unknown key 'ExecStrat'/),
        expect.stringMatching(/Command \/usr\/bin\/vault is not executable/),
      ]),
    );
    expect(findings).toHaveLength(2);
  });
});

describe("shellcheck", () => {
  itWithTool("shellcheck", "finds an unquoted variable", () => {
    const findings = shellcheck('#!/bin/bash\nset -euo pipefail\ndir="$1"\nrm -rf $dir/cache\n');
    expect(findings).toEqual([expect.stringMatching(/^script:4:8: note: Double quote .* \[SC2086\]$/)]);
  });

  itWithTool("shellcheck", "passes a clean script, in bash and in sh mode", () => {
    expect(shellcheck('#!/bin/bash\nset -euo pipefail\ndir="$1"\nrm -rf "${dir:?}/cache"\n')).toEqual([]);
    expect(shellcheck('set -eu\ndir="$1"\nrm -rf "${dir:?}/cache"\n', "sh")).toEqual([]);
  });

  itWithTool("shellcheck", "keeps each script's findings its own when several are checked at once", () => {
    const clean = '#!/bin/bash\nset -euo pipefail\ndir="$1"\nrm -rf "${dir:?}/cache"\n';
    const unquoted = '#!/bin/bash\nset -euo pipefail\ndir="$1"\nrm -rf $dir/cache\n';
    expect(shellchecks([clean, unquoted, clean])).toEqual([
      [],
      [expect.stringMatching(/^script:4:8: note: Double quote .* \[SC2086\]$/)],
      [],
    ]);
  });

  itWithTool("shellcheck", "applies the requested shell dialect", () => {
    const script = 'set -eu\nif [[ -n "${1:-}" ]]; then echo yes; fi\n';
    expect(shellcheck(script, "bash")).toEqual([]);
    expect(shellcheck(script, "sh")).toEqual([expect.stringMatching(/\[SC3010\]$/)]);
  });
});
