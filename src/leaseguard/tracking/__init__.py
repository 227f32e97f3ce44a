"""Where the leased assets are: BeiDou/GPS terminals speaking JT/T 808 (issue 20). So far the frame decoder
(`leaseguard.tracking.jt808`) and `leaseguard tracking decode`; see docs/tracking.md."""
