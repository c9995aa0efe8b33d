import type { SystemdUnit } from "../../constructs/bootstrap/systemd-unit";

/** A unit in the shape of Consul's, and its exact text: shared by the renderer's and the validator's tests. */
export const consulUnit: SystemdUnit = {
  Unit: {
    Description: "Consul agent",
    Documentation: "https://developer.hashicorp.com/consul/docs",
    Wants: "network-online.target",
    After: ["network-online.target", "cloud-final.service"],
    ConditionFileNotEmpty: "/etc/consul.d/consul.hcl",
  },
  Service: {
    Type: "notify",
    User: "consul",
    Group: "consul",
    EnvironmentFile: "-/etc/consul.d/consul.env",
    ExecStart: "/usr/bin/consul agent -config-dir=/etc/consul.d/",
    ExecReload: "/bin/kill --signal HUP $MAINPID",
    KillMode: "process",
    KillSignal: "SIGTERM",
    Restart: "on-failure",
    RestartSec: 5,
    LimitNOFILE: 65536,
    NoNewPrivileges: true,
    PrivateTmp: false,
  },
  Install: { WantedBy: "multi-user.target" },
};

export const consulUnitText = `[Unit]
Description=Consul agent
Documentation=https://developer.hashicorp.com/consul/docs
Wants=network-online.target
After=network-online.target
After=cloud-final.service
ConditionFileNotEmpty=/etc/consul.d/consul.hcl

[Service]
Type=notify
User=consul
Group=consul
EnvironmentFile=-/etc/consul.d/consul.env
ExecStart=/usr/bin/consul agent -config-dir=/etc/consul.d/
ExecReload=/bin/kill --signal HUP $MAINPID
KillMode=process
KillSignal=SIGTERM
Restart=on-failure
RestartSec=5
LimitNOFILE=65536
NoNewPrivileges=yes
PrivateTmp=no

[Install]
WantedBy=multi-user.target
`;
