import DNBJupyter

/// The shell requests that involve the backend: execute, is_complete, complete, inspect.
extension Kernel {
    /// busy → execute_input → outputs → execute_reply → idle (the status messages come from `handle`).
    /// `silent` sends no outputs and does not count; `store_history` false does not count or record;
    /// after an error with `stop_on_error`, execute requests already queued are answered `aborted`.
    func execute(_ request: WireMessage) {
        let code = request.content["code"]?.string ?? ""
        let silent = request.content["silent"]?.bool ?? false
        let store = (request.content["store_history"]?.bool ?? true) && !silent
        if store { executionCount += 1 }
        if !silent {
            publisher.publish("execute_input", ["code": .string(code), "execution_count": .int(executionCount)], parent: request)
        }
        let output = ExecutionPublisher(publisher: publisher, parent: request, silent: silent)
        let outcome = backend.execute(code, executionCount: executionCount, publisher: output)
        publisher.flush()
        switch outcome {
        case .ok(let result):
            if let result, !silent {
                publisher.publish("execute_result", ["execution_count": .int(executionCount), "data": .object(result), "metadata": [:]], parent: request)
            }
            if store { history.record(line: executionCount, input: code, output: result?["text/plain"]?.string) }
            reply(request, on: shell, ["status": "ok", "execution_count": .int(executionCount), "payload": [], "user_expressions": [:]])
        case .error(let error):
            output.send(error)
            if store { history.record(line: executionCount, input: code, output: nil) }
            var content = error.content
            content["status"] = "error"
            content["execution_count"] = .int(executionCount)
            reply(request, on: shell, .object(content))
            if request.content["stop_on_error"]?.bool ?? true { abortQueuedExecutions() }
        }
    }

    /// Answers the execute requests already waiting with `aborted`, as IPython does after an error, so a
    /// "run all" stops at the failing cell; other requests waiting are handled as usual.
    private func abortQueuedExecutions() {
        while let frames = try? shell.receive(timeout: 0) {
            guard let request = try? WireMessage(frames: frames, signer: signer), request.type == "execute_request" else {
                handle(frames, on: shell)
                continue
            }
            publisher.status("busy", parent: request)
            reply(request, on: shell, ["status": "aborted", "execution_count": .int(executionCount)])
            publisher.status("idle", parent: request)
        }
    }

    func isComplete(_ request: WireMessage) -> JSON {
        let answer = backend.isComplete(request.content["code"]?.string ?? "")
        var content: [String: JSON] = ["status": .string(answer.status)]
        if let indent = answer.indent { content["indent"] = .string(indent) }
        return .object(content)
    }

    func complete(_ request: WireMessage) -> JSON {
        let code = request.content["code"]?.string ?? ""
        let cursor = request.content["cursor_pos"]?.int ?? code.unicodeScalars.count
        let answer = backend.complete(code, cursor: min(max(0, cursor), code.unicodeScalars.count))
        return ["status": "ok", "matches": .array(answer.matches.map(JSON.string)), "cursor_start": .int(answer.start),
                "cursor_end": .int(answer.end), "metadata": [:]]
    }

    func inspect(_ request: WireMessage) -> JSON {
        let code = request.content["code"]?.string ?? ""
        let cursor = request.content["cursor_pos"]?.int ?? code.unicodeScalars.count
        guard let help = backend.inspect(code, cursor: min(max(0, cursor), code.unicodeScalars.count)) else {
            return ["status": "ok", "found": false, "data": [:], "metadata": [:]]
        }
        return ["status": "ok", "found": true, "data": ["text/plain": .string(help)], "metadata": [:]]
    }
}
