import Testing
@testable import DNBEngine

/// Wrong shapes and empty tensors are thrown errors that name the shapes.
struct BadInputTests {
    @Test func shapeMismatchNamesBothShapes() throws {
        let a = Tensor.zeros([2, 3]), b = Tensor.zeros([4, 5])
        let error = #expect(throws: EngineError.self) { try add(a, b) }
        #expect(String(describing: error!).contains("[2, 3]"))
        #expect(String(describing: error!).contains("[4, 5]"))
    }

    @Test func convolutionChannelMismatch() throws {
        let error = #expect(throws: EngineError.self) {
            try conv2d(Tensor.zeros([1, 4, 4, 3]), weight: Tensor.zeros([3, 3, 5, 2]), bias: nil, padding: 1)
        }
        #expect(String(describing: error!).contains("3 channels"))
    }

    @Test func emptyTensors() {
        #expect(throws: EngineError.emptyTensor(op: "silu")) { try silu(Tensor.zeros([0, 3])) }
        #expect(throws: EngineError.emptyTensor(op: "mean")) { try mean(Tensor.zeros([0])) }
    }

    @Test func invalidArguments() {
        #expect(throws: EngineError.self) { try groupNorm(Tensor.zeros([1, 2, 2, 6]), groups: 4, weight: nil, bias: nil) }
        #expect(throws: EngineError.self) { try scaledDotProductAttention(query: Tensor.zeros([1, 2, 6]), key: Tensor.zeros([1, 2, 6]), value: Tensor.zeros([1, 2, 6]), heads: 4) }
        #expect(throws: EngineError.self) { try Tensor.zeros([2, 3]).reshaped([4, 2]) }
        #expect(throws: EngineError.self) { try Tensor(shape: [2, 2], scalars: [1, 2, 3]) }
        #expect(throws: EngineError.self) { try Tensor.zeros([2]).backward() }
    }
}
