"""Where the leased assets are: BeiDou/GPS terminals speaking JT/T 808 (issue 20). The frame decoder
(`jt808`, `leaseguard tracking decode`), the gateway (`gateway`, `leaseguard tracking serve`), the terminal's side
of the protocol (`terminal`) and simulated terminals (`simulate`, `leaseguard tracking simulate`); the gateway
reaches the store through `ports.TerminalKeeper`. See docs/tracking.md."""
