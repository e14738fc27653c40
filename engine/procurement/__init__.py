"""From a recommendation to a tender: real volumes in (ACD import), the tender pack, providers' bids
compared flow by flow, and bundles of small flows."""
