module example.com/demo

go 1.19

require (
	github.com/dgrijalva/jwt-go v3.2.0+incompatible
	github.com/gin-gonic/gin v1.6.3
	github.com/gorilla/websocket v1.4.0
	golang.org/x/net v0.7.0
	golang.org/x/text v0.3.5
	gopkg.in/yaml.v2 v2.2.7
)
