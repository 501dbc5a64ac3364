extension HTTPResponse {
    /// The same response with another status code.
    func withStatus(_ status: Int) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: body)
    }
}
