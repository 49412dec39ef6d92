/// Runs `body` over `items` with at most `limit` at once, keeping the input order in the result.
func concurrentMap<T: Sendable, R: Sendable>(
    _ items: [T], limit: Int, _ body: @escaping @Sendable (T) async -> R
) async -> [R] {
    await withTaskGroup(of: (Int, R).self) { group in
        var results = [R?](repeating: nil, count: items.count)
        var next = 0
        func addNext() {
            guard next < items.count else { return }
            let index = next
            let item = items[index]
            group.addTask { (index, await body(item)) }
            next += 1
        }
        for _ in 0..<max(1, limit) { addNext() }
        while let (index, result) = await group.next() {
            results[index] = result
            addNext()
        }
        return results.map { $0! }
    }
}
