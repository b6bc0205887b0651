{ name: "sibling next to util" }
