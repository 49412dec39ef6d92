import PropertyBased
import Testing

/// `propertyCheck`, except that an error thrown by `body` fails the test. PropertyBased runs the body under
/// `try?`, so a case that throws ends early and passes unseen: a property test whose code under test started
/// throwing would go on passing.
public func checkProperty<InputValue, ResultValue>(
    count: Int,
    input: Generator<ResultValue, some Sequence<InputValue>>,
    isolation: isolated (any Actor)? = #isolation,
    sourceLocation: SourceLocation = #_sourceLocation,
    perform body: (ResultValue) async throws -> Void
) async {
    await propertyCheck(
        count: count, input: input,
        perform: { value in
            do {
                try await body(value)
            } catch is ExpectationFailedError {
                // A failed #require, which recorded its issue before throwing.
            } catch {
                Issue.record(error, "thrown for \(value)", sourceLocation: sourceLocation)
            }
        }, sourceLocation: sourceLocation)
}
