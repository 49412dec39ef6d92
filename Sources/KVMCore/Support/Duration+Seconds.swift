extension Duration {
    /// The duration as seconds, for arithmetic with epoch times and for messages.
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
