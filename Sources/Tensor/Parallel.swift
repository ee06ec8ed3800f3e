import Dispatch

/// Splits `0..<count` into contiguous ranges and runs them concurrently.
///
/// Every index is computed by exactly one worker with no shared accumulation, so the result
/// does not depend on the number of workers: determinism is preserved by construction.
@inlinable
public func parallelRanges(_ count: Int, minimumPerWorker: Int = 1, _ body: (Range<Int>) -> Void) {
    let workers = max(1, min(ParallelConfig.workerCount, count / max(1, minimumPerWorker)))
    if workers <= 1 || count <= 1 {
        body(0..<count)
        return
    }
    let per = (count + workers - 1) / workers
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        let lo = w * per, hi = min(count, lo + per)
        if lo < hi { body(lo..<hi) }
    }
}

public enum ParallelConfig {
    /// Worker threads for the element-wise parts of the forward pass. Not a tuning knob for
    /// results: any value gives the same bits.
    public static let workerCount: Int = {
        if let s = getenvString("DDPMC_THREADS"), let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()
}

import Foundation

@usableFromInline
func getenvString(_ name: String) -> String? {
    ProcessInfo.processInfo.environment[name]
}
