import Foundation

/// Typed access to the fields of a parsed JSON object (diffusers' config.json and
/// scheduler_config.json), where every failure names the field, what it should hold and what it
/// holds, as the caller's own error type. null counts as absent: the default applies.
public struct JSONFieldReader<Failure: Error> {
    public let dict: [String: Any]
    /// Makes the error for a field that holds the wrong kind of value.
    let failure: (_ key: String, _ reason: String) -> Failure

    /// `failure(key, reason)`: reason reads "field K should be X, found Y".
    public init(dict: [String: Any], failure: @escaping (_ key: String, _ reason: String) -> Failure) {
        self.dict = dict
        self.failure = failure
    }

    public func value(_ key: String) -> Any? {
        guard let v = dict[key], !(v is NSNull) else { return nil }
        return v
    }

    public func bad(_ key: String, _ expected: String) -> Failure {
        failure(key, "field \(key) should be \(expected), found \(dict[key].map { "\($0)" } ?? "nothing")")
    }

    public func int(_ key: String, default d: Int) throws(Failure) -> Int {
        guard let v = value(key) else { return d }
        guard let n = v as? NSNumber, Double(n.intValue) == n.doubleValue else { throw bad(key, "an integer") }
        return n.intValue
    }

    public func optionalInt(_ key: String) throws(Failure) -> Int? {
        guard value(key) != nil else { return nil }
        return try int(key, default: 0)
    }

    public func double(_ key: String, default d: Double) throws(Failure) -> Double {
        guard let v = value(key) else { return d }
        guard let n = v as? NSNumber else { throw bad(key, "a number") }
        return n.doubleValue
    }

    public func bool(_ key: String, default d: Bool) throws(Failure) -> Bool {
        guard let v = value(key) else { return d }
        guard let b = v as? Bool else { throw bad(key, "true or false") }
        return b
    }

    public func string(_ key: String, default d: String) throws(Failure) -> String {
        guard let v = value(key) else { return d }
        guard let s = v as? String else { throw bad(key, "a string") }
        return s
    }

    public func strings(_ key: String, default d: [String]) throws(Failure) -> [String] {
        try list(key, "a list of strings") { $0 as? String } ?? d
    }

    public func ints(_ key: String, default d: [Int]) throws(Failure) -> [Int] {
        try list(key, "a list of integers") { ($0 as? NSNumber)?.intValue } ?? d
    }

    /// nil when absent or null.
    public func doubles(_ key: String) throws(Failure) -> [Double]? {
        try list(key, "a list of numbers or null") { ($0 as? NSNumber)?.doubleValue }
    }

    /// A list field whose every element `element` converts (nil: the wrong kind); nil when absent.
    func list<T>(_ key: String, _ expected: String, _ element: (Any) -> T?) throws(Failure) -> [T]? {
        guard let v = value(key) else { return nil }
        guard let a = v as? [Any] else { throw bad(key, expected) }
        var out: [T] = []
        for item in a {
            guard let x = element(item) else { throw bad(key, expected) }
            out.append(x)
        }
        return out
    }
}
