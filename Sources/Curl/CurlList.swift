import CCurl

/// A `curl_slist` owned by Swift: freed when the last reference goes. libcurl does not copy
/// lists, so `CurlEasy` keeps each one it was given until the next `reset()`.
final class CurlList {
    private(set) var head: UnsafeMutablePointer<curl_slist>?

    init(_ lines: [String], option: String) throws(CurlError) {
        for line in lines {
            guard let next = curl_slist_append(head, line) else {
                throw CurlError(code: .outOfMemory, message: "\(option): curl_slist_append failed")
            }
            head = next
        }
    }

    deinit { curl_slist_free_all(head) }
}
