"""The example auction bidder: bids a random share of the item's value, never more than its budget."""
